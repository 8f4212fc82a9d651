import asyncio
from pathlib import Path
from typing import Annotated

from fastapi import BackgroundTasks, Query, status
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sse_starlette import EventSourceResponse

from llmforge.audit import service as audit
from llmforge.auth.deps import CurrentUser
from llmforge.core.client import ClientDep, ClientInfo
from llmforge.core.deps import SecretBoxDep, SessionFactoryDep, SettingsDep
from llmforge.core.pagination import Page, PageParamsDep, paginate
from llmforge.core.routing import CapabilityRouter
from llmforge.db import SessionDep
from llmforge.training import report as reports
from llmforge.training import service, workspace
from llmforge.training.config import PRESETS, Hyperparameters, Method, Stage
from llmforge.training.deps import OwnedJob, SchedulerDep
from llmforge.training.events import Cursor, job_events
from llmforge.training.known_keys import TEMPLATES
from llmforge.training.models import JobStatus, LogLine, TrainingJob
from llmforge.training.schemas import (
    CancelRequest,
    JobCreate,
    JobDetail,
    JobPreview,
    JobRead,
    LogLineRead,
    MetricRead,
    SwanlabInfo,
    TrainingOptions,
    TrainingReport,
    TransitionRead,
)
from llmforge.users.models import User

router = CapabilityRouter(prefix="/api/training", tags=["training"])
SSE_PING_SECONDS = 15
Offset = Annotated[int, Query(ge=0, le=2**31 - 1)]


def _swanlab_info(job: TrainingJob) -> SwanlabInfo:
    options = job.swanlab or {}
    mode = options.get("mode", "off")
    if mode == "off" or "use_swanlab: true" not in job.yaml:
        return SwanlabInfo(mode="off")
    logdir = str(Path(job.job_dir) / "swanlab")
    return SwanlabInfo(
        mode=mode,
        project=options.get("project"),
        logdir=logdir,
        watch_command=f"swanlab watch {logdir}" if mode == "local" else None,
        url=workspace.swanlab_link(Path(job.output_dir)) if mode == "cloud" else None,
    )


async def job_detail(job: TrainingJob) -> JobDetail:
    checkpoint = await asyncio.to_thread(workspace.last_checkpoint, Path(job.output_dir))
    swanlab = await asyncio.to_thread(_swanlab_info, job)
    return JobDetail(
        **JobRead.model_validate(job).model_dump(),
        hyperparameters=job.hyperparameters,
        overrides=job.overrides,
        yaml=job.yaml,
        output_dir=job.output_dir,
        gpus=job.gpus,
        host=job.host,
        exit_code=job.exit_code,
        can_resume=checkpoint is not None and job.status in (JobStatus.failed, JobStatus.cancelled),
        swanlab=swanlab,
    )


async def _audit(
    session: AsyncSession,
    action: str,
    user: User,
    client: ClientInfo,
    job: TrainingJob,
    **extra: object,
) -> None:
    await audit.record(
        session,
        action,
        actor=user,
        client=client,
        target_type="training_job",
        target_id=str(job.id),
        detail={"name": job.name, **extra},
    )


def _wake(scheduler: SchedulerDep, background: BackgroundTasks) -> None:
    if scheduler is not None:
        background.add_task(scheduler.wake)  # after the request's transaction committed


@router.get("/options")
async def options(
    user: CurrentUser, settings: SettingsDep, scheduler: SchedulerDep
) -> TrainingOptions:
    """What the create form offers: methods, stages, templates, presets, defaults."""
    slots: dict[str, object] = {"scheduler": "in-process" if scheduler else "workers"}
    if scheduler is not None:
        slots |= {"gpus": scheduler.slots.gpus, "capacity": scheduler.slots.capacity}
    return TrainingOptions(
        methods=list(Method),
        stages=list(Stage),
        templates=sorted(TEMPLATES),
        presets=list(PRESETS),
        defaults=Hyperparameters(),
        swanlab_available=service.swanlab_available(settings),
        max_gpus_per_job=settings.training_max_gpus_per_job,
        slots=slots,
    )


@router.post("/jobs/preview")
async def preview_job(
    data: JobCreate, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> JobPreview:
    """The LLaMA-Factory YAML the job would run with (paths inside the job's folder are shown
    as <job-dir>); validates exactly like create."""
    return await service.preview(session, settings, user, data)


@router.post("/jobs", status_code=status.HTTP_201_CREATED)
async def create_job(
    data: JobCreate,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    box: SecretBoxDep,
    client: ClientDep,
    scheduler: SchedulerDep,
    background: BackgroundTasks,
) -> JobDetail:
    """Validate and queue a job; any problem is a 4xx and nothing is written or queued."""
    job = await service.create_job(session, settings, box, user, data)
    await _audit(session, "training.job.create", user, client, job, method=job.method)
    _wake(scheduler, background)
    return await job_detail(job)


@router.get("/jobs")
async def list_jobs(
    user: CurrentUser,
    session: SessionDep,
    params: PageParamsDep,
    status: JobStatus | None = None,
) -> Page[JobRead]:
    """Your jobs (an admin sees everyone's), newest first; `status` filters."""
    rows, total = await service.list_jobs(session, user, params, status)
    return Page(
        items=[JobRead.model_validate(row) for row in rows],
        total=total,
        page=params.page,
        page_size=params.page_size,
    )


@router.get("/jobs/{job_id}")
async def get_job(job: OwnedJob) -> JobDetail:
    return await job_detail(job)


@router.delete("/jobs/{job_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_job(
    job: OwnedJob, session: SessionDep, user: CurrentUser, client: ClientDep
) -> None:
    """Delete a finished job, its metrics, logs and folder (409 `job_active` while active)."""
    await _audit(session, "training.job.delete", user, client, job)
    await service.delete_job(session, job)


@router.post("/jobs/{job_id}/cancel")
async def cancel_job(
    job: OwnedJob,
    session: SessionDep,
    user: CurrentUser,
    client: ClientDep,
    scheduler: SchedulerDep,
    background: BackgroundTasks,
    body: CancelRequest | None = None,
) -> JobDetail:
    """graceful (default): the trainer stops after its step and saves the weights; force:
    SIGTERM to its process group (SIGKILL after a timeout). 409 `job_not_active` when final."""
    mode = (body or CancelRequest()).mode
    await service.cancel_job(session, job, mode)
    await _audit(session, "training.job.cancel", user, client, job, mode=mode.value)
    _wake(scheduler, background)
    return await job_detail(job)


@router.post("/jobs/{job_id}/retry")
async def retry_job(
    job: OwnedJob,
    session: SessionDep,
    user: CurrentUser,
    client: ClientDep,
    scheduler: SchedulerDep,
    background: BackgroundTasks,
) -> JobDetail:
    """Queue a failed or cancelled job again from the start (409 `job_not_restartable`)."""
    await service.retry_job(session, job)
    await _audit(session, "training.job.retry", user, client, job)
    _wake(scheduler, background)
    return await job_detail(job)


@router.post("/jobs/{job_id}/resume")
async def resume_job(
    job: OwnedJob,
    session: SessionDep,
    user: CurrentUser,
    client: ClientDep,
    scheduler: SchedulerDep,
    background: BackgroundTasks,
) -> JobDetail:
    """Queue a failed or cancelled job to continue from its last checkpoint (409 `no_checkpoint`
    without one)."""
    await service.resume_job(session, job)
    await _audit(session, "training.job.resume", user, client, job)
    _wake(scheduler, background)
    return await job_detail(job)


@router.get("/jobs/{job_id}/transitions")
async def job_transitions(job: OwnedJob, session: SessionDep) -> list[TransitionRead]:
    return [TransitionRead.model_validate(row) for row in await service.transitions(session, job)]


@router.get("/jobs/{job_id}/metrics")
async def job_metrics(job: OwnedJob, session: SessionDep) -> list[MetricRead]:
    """Every logged step (a step logged again after a resume appears once, its last values)."""
    return [MetricRead.model_validate(row) for row in await service.metric_points(session, job)]


@router.get("/jobs/{job_id}/logs")
async def job_logs(
    job: OwnedJob,
    session: SessionDep,
    params: PageParamsDep,
    after: Offset = 0,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[LogLineRead]:
    """Log lines in order, from line `after` + 1; `q` keeps the lines that contain it."""
    statement = select(LogLine).where(LogLine.job_id == job.id, LogLine.seq > after)
    if q:
        statement = statement.where(func.lower(LogLine.text).contains(q.lower(), autoescape=True))
    rows, total = await paginate(session, statement.order_by(LogLine.seq), params)
    return Page(
        items=[LogLineRead.model_validate(row) for row in rows],
        total=total,
        page=params.page,
        page_size=params.page_size,
    )


@router.get("/jobs/{job_id}/logs/download", response_class=Response)
async def download_logs(job: OwnedJob, session: SessionDep) -> Response:
    rows = await session.execute(
        select(LogLine.stream, LogLine.text).where(LogLine.job_id == job.id).order_by(LogLine.seq)
    )
    text = "".join(f"[{stream}] {line}\n" for stream, line in rows)
    headers = {"Content-Disposition": f'attachment; filename="training-job-{job.id}.log"'}
    return Response(text, media_type="text/plain; charset=utf-8", headers=headers)


@router.get("/jobs/{job_id}/report")
async def job_report(job: OwnedJob, session: SessionDep) -> TrainingReport:
    return await reports.build_report(session, job, await job_detail(job))


@router.get("/jobs/{job_id}/report.md", response_class=Response)
async def job_report_markdown(job: OwnedJob, session: SessionDep) -> Response:
    report = await reports.build_report(session, job, await job_detail(job))
    headers = {"Content-Disposition": f'attachment; filename="training-job-{job.id}-report.md"'}
    return Response(
        reports.to_markdown(report), media_type="text/markdown; charset=utf-8", headers=headers
    )


@router.get("/jobs/{job_id}/events", response_class=EventSourceResponse)
async def job_event_stream(
    job: OwnedJob,
    session: SessionDep,
    factory: SessionFactoryDep,
    settings: SettingsDep,
    log_after: Offset = 0,
    metric_after: Offset = 0,
) -> EventSourceResponse:
    """Server-Sent Events: `job` (state, progress, ETA, throughput), `transition`, `log`,
    `metric`, and `end` when the job is final; replays from `log_after` (a line's seq) and
    `metric_after` (a point's id)."""
    await session.commit()  # the stream reads with sessions of its own: free this connection
    cursor = Cursor(log_after=log_after, metric_after=metric_after)
    stream = job_events(factory, job.id, cursor, settings.training_poll_seconds)
    return EventSourceResponse(stream, ping=SSE_PING_SECONDS)
