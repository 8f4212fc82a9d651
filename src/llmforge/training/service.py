"""Training jobs: creation with validation (nothing is written or queued from bad input),
preview, ownership, listing, cancel / retry / resume, and the state transitions every path
records. No FastAPI here; running the jobs is scheduler.py's work."""

import asyncio
import shutil
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from llmforge.base_models.models import BaseModel
from llmforge.core.errors import Conflict, InvalidInput, NotFound, describe_validation_errors
from llmforge.core.pagination import PageParams, paginate
from llmforge.core.security import SecretBox
from llmforge.datasets.models import Dataset
from llmforge.datasets.training import (
    TrainingDataset,
    dataset_for_training,
    dataset_name,
    training_dataset,
)
from llmforge.db import utcnow
from llmforge.serving.service import get_base_model
from llmforge.settings import Settings
from llmforge.training import workspace
from llmforge.training.config import (
    JOB_DIR,
    PRESETS,
    Hyperparameters,
    JobPlan,
    Method,
    Stage,
    SwanlabOptions,
    build_config,
    ensure_template,
    overrides_from_yaml,
    to_yaml,
)
from llmforge.training.models import (
    ACTIVE_STATUSES,
    NOT_STARTED,
    CancelMode,
    JobStatus,
    JobTransition,
    MetricPointRow,
    TrainingJob,
)
from llmforge.training.schemas import JobCreate, JobPreview
from llmforge.users.models import Role, User


@lru_cache(maxsize=8)
def _swanlab_installed(cli: str) -> bool:
    return workspace.swanlab_installed(cli)


def swanlab_available(settings: Settings) -> bool:
    return _swanlab_installed(settings.resolved_llamafactory_cli)


def hyperparameters_for(preset_id: str | None, given: dict[str, Any]) -> Hyperparameters:
    base: dict[str, Any] = {}
    if preset_id is not None:
        preset = next((p for p in PRESETS if p.id == preset_id), None)
        if preset is None:
            known = ", ".join(p.id for p in PRESETS)
            raise InvalidInput(f"Unknown preset {preset_id!r} ({known}).", code="unknown_preset")
        base = preset.hyperparameters.model_dump(exclude_unset=True)
    try:
        return Hyperparameters.model_validate({**base, **given})
    except ValidationError as exc:
        message, details = describe_validation_errors(list(exc.errors()))
        raise InvalidInput(
            f"hyperparameters.{message}", code="hyperparameter_out_of_range", details=details
        ) from None


def _stage(data: JobCreate, ds: TrainingDataset) -> Stage:
    stage = data.stage or (Stage.dpo if ds.has_preferences else Stage.sft)
    if stage is Stage.dpo and not ds.has_preferences:
        raise InvalidInput(
            "DPO needs a dataset with chosen and rejected answers.", code="dpo_needs_preferences"
        )
    if stage is Stage.sft and ds.has_preferences:
        raise InvalidInput(
            "This dataset holds preference pairs (chosen/rejected): train it with stage dpo.",
            code="sft_needs_answers",
        )
    return stage


def _check_options(settings: Settings, data: JobCreate) -> None:
    if data.gpu_count > settings.training_max_gpus_per_job:
        raise InvalidInput(
            f"gpu_count: at most {settings.training_max_gpus_per_job} GPUs per job.",
            code="too_many_gpus",
        )
    if data.swanlab.mode == "cloud" and data.swanlab.api_key is None:
        raise InvalidInput(
            "SwanLab cloud mode needs an API key (or choose local mode).",
            code="swanlab_key_required",
        )


async def plan_job(
    session: AsyncSession, settings: Settings, user: User, data: JobCreate
) -> tuple[JobPlan, dict[str, Any]]:
    """Validate everything about a job and return its plan and the overrides of its advanced
    YAML. Raises a 4xx domain error on any problem."""
    _check_options(settings, data)
    base = await get_base_model(session, data.base_model_id)
    ds = await dataset_for_training(session, user, data.dataset_id, settings.data_dir)
    template = data.template or base.template
    ensure_template(template)
    plan = JobPlan(
        base_model_path=base.path,
        dataset_name=dataset_name(ds),
        method=data.method,
        stage=_stage(data, ds),
        template=template,
        hyperparameters=hyperparameters_for(data.preset, data.hyperparameters),
        gpu_count=data.gpu_count,
        run_name=data.name,
        swanlab=SwanlabOptions.model_validate(data.swanlab.model_dump(exclude={"api_key"})),
        swanlab_available=swanlab_available(settings),
    )
    overrides: dict[str, Any] = {}
    if data.advanced_yaml is not None and data.advanced_yaml.strip():
        overrides = overrides_from_yaml(data.advanced_yaml, build_config(plan, JOB_DIR))
    return plan.model_copy(update={"overrides": overrides}), overrides


async def preview(
    session: AsyncSession, settings: Settings, user: User, data: JobCreate
) -> JobPreview:
    plan, _ = await plan_job(session, settings, user, data)
    config = build_config(plan, JOB_DIR)
    return JobPreview(
        yaml=to_yaml(config),
        config=config,
        stage=plan.stage,
        template=plan.template,
        hyperparameters=plan.hyperparameters,
        swanlab_available=plan.swanlab_available,
    )


def add_transition(
    session: AsyncSession, job: TrainingJob, to: JobStatus, reason: str, *, at: datetime
) -> None:
    """Change a loaded job's status and record the transition (the caller's transaction)."""
    session.add(
        JobTransition(
            job_id=job.id,
            from_status=job.status.value if job.status else None,
            to_status=to.value,
            reason=reason,
            at=at,
        )
    )
    job.status = to


async def create_job(
    session: AsyncSession, settings: Settings, box: SecretBox, user: User, data: JobCreate
) -> TrainingJob:
    plan, overrides = await plan_job(session, settings, user, data)
    key = data.swanlab.api_key
    job = TrainingJob(
        user_id=user.id,
        name=data.name,
        base_model_id=data.base_model_id,
        dataset_id=data.dataset_id,
        method=plan.method.value,
        stage=plan.stage.value,
        template=plan.template,
        hyperparameters=plan.hyperparameters.model_dump(),
        overrides=overrides,
        swanlab=plan.swanlab.model_dump(),
        swanlab_key_encrypted=box.encrypt(key.get_secret_value())
        if key and plan.swanlab.mode == "cloud"
        else None,
        gpu_count=data.gpu_count,
        priority=data.priority,
        status=JobStatus.pending,
        read_offsets={},
    )
    session.add(job)
    await session.flush()
    directory = workspace.job_dir(settings.data_dir, job.id)
    job.job_dir = str(directory)
    job.output_dir = str(directory / workspace.OUTPUT)
    job.yaml = to_yaml(build_config(plan, str(directory)))
    session.add(
        JobTransition(job_id=job.id, from_status=None, to_status="pending", reason="created")
    )
    await session.flush()
    return job


def plan_for(
    job: TrainingJob, base: BaseModel, dataset: Dataset, settings: Settings
) -> tuple[JobPlan, TrainingDataset]:
    """The plan of a stored job, with the base model and dataset as they are now."""
    ds = training_dataset(dataset, settings.data_dir)
    plan = JobPlan(
        base_model_path=base.path,
        dataset_name=dataset_name(ds),
        method=Method(job.method),
        stage=Stage(job.stage),
        template=job.template,
        hyperparameters=Hyperparameters.model_validate(job.hyperparameters),
        gpu_count=job.gpu_count,
        run_name=f"{job.name}-{job.id}",
        swanlab=SwanlabOptions.model_validate(job.swanlab or {}),
        swanlab_available=swanlab_available(settings),
        overrides=job.overrides,
    )
    return plan, ds


async def owned_job(session: AsyncSession, user: User, job_id: int) -> TrainingJob:
    """The job if `user` owns it or is an admin; another user's job is a 404."""
    job = await session.get(TrainingJob, job_id)
    if job is None or (job.user_id != user.id and user.role is not Role.admin):
        raise NotFound(f"Training job {job_id} does not exist.", code="job_not_found")
    return job


async def list_jobs(
    session: AsyncSession, user: User, params: PageParams, status: JobStatus | None
) -> tuple[list[TrainingJob], int]:
    statement = select(TrainingJob).order_by(TrainingJob.created_at.desc(), TrainingJob.id.desc())
    if user.role is not Role.admin:
        statement = statement.where(TrainingJob.user_id == user.id)
    if status is not None:
        statement = statement.where(TrainingJob.status == status)
    return await paginate(session, statement, params)


async def cancel_job(session: AsyncSession, job: TrainingJob, mode: CancelMode) -> None:
    """A job that has not started is cancelled at once; a running one is asked to stop (its
    scheduler signals the process and records the outcome)."""
    if job.status in NOT_STARTED and await _cancel_before_start(session, job):
        return
    if job.status not in ACTIVE_STATUSES:
        raise Conflict(
            f"The job is {job.status.value}; only pending, queued or running jobs can be "
            "cancelled.",
            code="job_not_active",
        )
    if job.cancel_requested is not CancelMode.force:
        job.cancel_requested = mode
    await session.flush()


async def _cancel_before_start(session: AsyncSession, job: TrainingJob) -> bool:
    """Cancel the job if it is still pending or queued, as one conditional update: a scheduler
    may claim it between our read and this write. Otherwise reload it as it is now."""
    now = utcnow()
    cancelled = await session.execute(
        update(TrainingJob)
        .where(TrainingJob.id == job.id, TrainingJob.status.in_(NOT_STARTED))
        .values(status=JobStatus.cancelled, finished_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(cancelled, "rowcount", 0) != 1:
        await session.refresh(job)
        return False
    add_transition(session, job, JobStatus.cancelled, "cancelled before it started", at=now)
    job.finished_at = now
    await session.flush()
    return True


def _ensure_restartable(job: TrainingJob, action: str) -> None:
    if job.status not in (JobStatus.failed, JobStatus.cancelled):
        raise Conflict(
            f"The job is {job.status.value}; only a failed or cancelled job can be {action}.",
            code="job_not_restartable",
        )


async def requeue(session: AsyncSession, job: TrainingJob, *, resume: bool, reason: str) -> None:
    now = utcnow()
    job.resume = resume
    job.cancel_requested = None
    job.error = None
    job.exit_code = None
    job.finished_at = None
    job.queued_at = now
    job.claimed_by = None
    job.heartbeat_at = None
    if not resume:
        job.progress, job.current_step, job.eta_seconds = 0.0, 0, None
        job.latest_loss = job.throughput = None
        job.read_offsets = {**(job.read_offsets or {}), "trainer_log": 0}
        await session.execute(delete(MetricPointRow).where(MetricPointRow.job_id == job.id))
    add_transition(session, job, JobStatus.queued, reason, at=now)
    await session.flush()


async def retry_job(session: AsyncSession, job: TrainingJob) -> None:
    """Run again from the start (its output folder is emptied when it starts)."""
    _ensure_restartable(job, "retried")
    await requeue(session, job, resume=False, reason="retry requested")


async def resume_job(session: AsyncSession, job: TrainingJob) -> None:
    """Continue from the last complete checkpoint (409 `no_checkpoint` without one)."""
    _ensure_restartable(job, "resumed")
    checkpoint = await asyncio.to_thread(workspace.last_checkpoint, Path(job.output_dir))
    if checkpoint is None:
        raise Conflict(
            "The job saved no checkpoint yet: retry it from the start instead.",
            code="no_checkpoint",
        )
    await requeue(session, job, resume=True, reason=f"resume from {checkpoint.name} requested")


async def delete_job(session: AsyncSession, job: TrainingJob) -> None:
    """A finished job goes with its folder (its model version stays); 409 while active."""
    if job.status in ACTIVE_STATUSES:
        raise Conflict(
            f"The job is {job.status.value}: cancel it before deleting it.", code="job_active"
        )
    directory = Path(job.job_dir)
    await session.delete(job)
    await session.flush()
    if workspace.is_job_folder(directory, Path(job.output_dir)):
        await asyncio.to_thread(shutil.rmtree, directory, ignore_errors=True)


async def transitions(session: AsyncSession, job: TrainingJob) -> list[JobTransition]:
    rows = await session.scalars(
        select(JobTransition).where(JobTransition.job_id == job.id).order_by(JobTransition.id)
    )
    return list(rows)


async def metric_points(session: AsyncSession, job: TrainingJob) -> list[MetricPointRow]:
    rows = await session.scalars(
        select(MetricPointRow).where(MetricPointRow.job_id == job.id).order_by(MetricPointRow.step)
    )
    return list(rows)
