"""The training scheduler: the `training_jobs` table is the queue, this is its consumer. It runs
inside the server (app.state.training_scheduler) or alone (`llmforge worker`), one or many at
once on a shared database.

Each loop: recover jobs whose scheduler is gone, prepare pending jobs' folders (-> queued),
claim queued jobs that fit the free slots (priority, then FIFO; the per-user limit on running
jobs) with a conditional update (PostgreSQL also locks with FOR UPDATE SKIP LOCKED), and start
each as a process (executor.py). A task per running job follows its files into the database
(monitor.py) every `poll` seconds, which also keeps the claim's heartbeat fresh, and acts on a
cancel request: SIGABRT first (graceful), then SIGTERM to the group, SIGKILL after a timeout.

Stopping the scheduler leaves the processes running and hands their claims back; the next
scheduler on the same host adopts a process that still runs (pid and start time) and follows
it on. A job whose process is gone is resumed from its last checkpoint (re-queued) or, without
one, failed with the reason: nothing stays "running" forever."""

import asyncio
import contextlib
import logging
import os
import signal
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from llmforge.base_models.models import BaseModel
from llmforge.core.errors import DomainError
from llmforge.core.security import SecretBox
from llmforge.datasets.models import Dataset
from llmforge.datasets.training import training_dataset, write_dataset_dir
from llmforge.db import transaction, utcnow, write_transaction
from llmforge.evaluation.service import queue_for_job
from llmforge.serving.service import register_version
from llmforge.settings import Settings
from llmforge.training import workspace
from llmforge.training.config import Method, build_config, to_yaml
from llmforge.training.executor import LaunchError, LaunchSpec, LocalExecutor, TrainingProcess
from llmforge.training.models import CancelMode, JobStatus, JobTransition, LogLine, TrainingJob
from llmforge.training.monitor import Batch, LostClaim, Monitor, store_batch
from llmforge.training.ray_executor import RayExecutor, RayRun
from llmforge.training.service import add_transition, plan_for, requeue
from llmforge.training.slots import SlotPool, configured_gpus

logger = logging.getLogger("llmforge.training")


@dataclass
class SchedulerServices:
    settings: Settings
    box: SecretBox
    factory: async_sessionmaker[AsyncSession]
    executor: LocalExecutor | RayExecutor


@dataclass
class Attempt:
    job_id: int
    job_dir: Path
    output_dir: Path
    next_seq: int
    offsets: dict[str, int]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class TrainingScheduler:
    def __init__(
        self,
        services: SchedulerServices,
        *,
        gpus: list[str] | None = None,
        scheduler_id: str | None = None,
    ) -> None:
        settings = services.settings
        self.services = services
        self.host = socket.gethostname()
        self.id = scheduler_id or f"{self.host}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.poll = settings.training_poll_seconds
        self.heartbeat = settings.training_heartbeat_seconds
        self.lease = settings.training_lease_seconds
        self.slots = SlotPool(gpus if gpus is not None else configured_gpus(settings.training_gpus))
        self._jobs: dict[int, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name=f"training-scheduler {self.id}")

    async def stop(self) -> None:
        """Stop following; the processes keep running and their claims are handed back for
        the next scheduler to adopt."""
        tasks = [task for task in (self._task, *self._jobs.values()) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = None
        async with transaction(self.services.factory) as session:
            await session.execute(
                update(TrainingJob)
                .where(TrainingJob.claimed_by == self.id)
                .values(claimed_by=None, heartbeat_at=None)
            )

    def wake(self) -> None:
        self._wake.set()

    @property
    def active_jobs(self) -> list[int]:
        return sorted(self._jobs)

    async def _loop(self) -> None:
        last_recovery = -self.heartbeat
        while True:
            try:
                if time.monotonic() - last_recovery >= self.heartbeat:
                    await self.recover()
                    last_recovery = time.monotonic()
                await self._prepare_pending()
                await self._claim()
            except Exception:
                logger.exception("training scheduler %s: could not poll for jobs", self.id)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(self.poll * 2, 0.5))
            self._wake.clear()

    # -- recovery ---------------------------------------------------------------------------

    def _orphaned(self, job: TrainingJob) -> bool:
        if job.claimed_by is None or job.heartbeat_at is None:
            return True
        if job.heartbeat_at < utcnow() - timedelta(seconds=self.lease):
            return True
        host, _, rest = job.claimed_by.partition(":")
        pid_text = rest.partition(":")[0]
        if host != self.host or not pid_text.isdigit():
            return False
        pid = int(pid_text)
        return pid != os.getpid() and not _pid_alive(pid)

    async def recover(self) -> None:
        """Take over running jobs whose scheduler is gone: follow the process on when it still
        runs here, else settle the job (finished, resumed from a checkpoint, or failed)."""
        async with self.services.factory() as session:
            jobs = list(
                await session.scalars(
                    select(TrainingJob).where(
                        TrainingJob.status == JobStatus.running,
                        or_(TrainingJob.claimed_by.is_(None), TrainingJob.claimed_by != self.id),
                    )
                )
            )
        for job in jobs:
            if job.id in self._jobs or not self._orphaned(job):
                continue
            async with transaction(self.services.factory) as session:
                claim = (
                    TrainingJob.claimed_by.is_(None)
                    if job.claimed_by is None
                    else TrainingJob.claimed_by == job.claimed_by
                )
                taken = await session.execute(
                    update(TrainingJob)
                    .where(TrainingJob.id == job.id, TrainingJob.status == JobStatus.running, claim)
                    .values(claimed_by=self.id, heartbeat_at=utcnow())
                )
            if getattr(taken, "rowcount", 0) != 1:
                continue
            process = await self.services.executor.reattach(job, self.host)
            logger.info(
                "training job %d: %s after its scheduler was gone",
                job.id,
                "adopted the running process" if process else "settling the lost process",
            )
            self.slots.busy[job.id] = _gpus(job)
            self._spawn(job.id, process, launch=False)

    # -- pending -> queued ------------------------------------------------------------------

    async def _prepare_pending(self) -> None:
        async with self.services.factory() as session:
            ids = list(
                await session.scalars(
                    select(TrainingJob.id)
                    .where(TrainingJob.status == JobStatus.pending)
                    .order_by(TrainingJob.id)
                    .limit(10)
                )
            )
        for job_id in ids:
            await self._prepare(job_id)

    async def _prepare(self, job_id: int) -> None:
        settings = self.services.settings
        async with self.services.factory() as session:
            job = await session.get(TrainingJob, job_id)
            dataset = await session.get(Dataset, job.dataset_id) if job else None
        if job is None or dataset is None or job.status is not JobStatus.pending:
            return
        ds = training_dataset(dataset, settings.data_dir)
        problem = None
        try:
            await asyncio.to_thread(write_dataset_dir, ds, Path(job.job_dir) / "data")
            await asyncio.to_thread(workspace.write_config, Path(job.job_dir), job.yaml)
        except OSError as exc:
            problem = f"The job folder could not be prepared: {exc}"
        now = utcnow()
        to, reason = JobStatus.queued, "dataset and YAML written"
        values: dict[str, object] = {"queued_at": now}
        if problem:
            to, reason = JobStatus.failed, problem
            values = {"error": problem, "finished_at": now}
        async with transaction(self.services.factory) as session:
            # conditional: the job may have been cancelled while its folder was written
            moved = await session.execute(
                update(TrainingJob)
                .where(TrainingJob.id == job_id, TrainingJob.status == JobStatus.pending)
                .values(status=to, **values)
                .execution_options(synchronize_session=False)
            )
            if getattr(moved, "rowcount", 0) == 1:
                session.add(_transition(job_id, JobStatus.pending.value, to.value, reason))

    # -- queued -> running ------------------------------------------------------------------

    async def _claim(self) -> None:
        if self.slots.largest_fit() == 0:
            return
        limit = self.services.settings.training_max_running_per_user
        claimed: list[int] = []
        async with transaction(self.services.factory) as session:
            running = dict(
                (
                    await session.execute(
                        select(TrainingJob.user_id, func.count())
                        .where(TrainingJob.status == JobStatus.running)
                        .group_by(TrainingJob.user_id)
                    )
                ).all()
            )
            statement = (
                select(TrainingJob)
                .where(TrainingJob.status == JobStatus.queued, TrainingJob.claimed_by.is_(None))
                .order_by(TrainingJob.priority.desc(), TrainingJob.id)
                .limit(20)
            )
            if not self.services.settings.is_sqlite:
                statement = statement.with_for_update(skip_locked=True)
            for job in await session.scalars(statement):
                if not self.slots.fits(job.gpu_count) or running.get(job.user_id, 0) >= limit:
                    continue
                if await self._take(session, job):
                    running[job.user_id] = running.get(job.user_id, 0) + 1
                    claimed.append(job.id)
        for job_id in claimed:
            self._spawn(job_id, None, launch=True)

    async def _take(self, session: AsyncSession, job: TrainingJob) -> bool:
        gpus = self.slots.take(job.id, job.gpu_count)
        now = utcnow()
        taken = await session.execute(
            update(TrainingJob)
            .where(
                TrainingJob.id == job.id,
                TrainingJob.status == JobStatus.queued,
                TrainingJob.claimed_by.is_(None),
            )
            .values(
                status=JobStatus.running,
                claimed_by=self.id,
                heartbeat_at=now,
                host=self.host,
                gpus=",".join(gpus),
                pid=None,
                pid_started=None,
                attempt=TrainingJob.attempt + 1,
                started_at=func.coalesce(TrainingJob.started_at, now),
            )
            .execution_options(synchronize_session=False)
        )
        if getattr(taken, "rowcount", 0) != 1:
            self.slots.release(job.id)
            return False
        where = f"GPU {','.join(gpus)}" if gpus else "the CPU"
        session.add(
            _transition(
                job.id, "queued", "running", f"attempt {job.attempt + 1} on {self.host}, {where}"
            )
        )
        return True

    def _spawn(
        self, job_id: int, process: TrainingProcess | RayRun | None, *, launch: bool
    ) -> None:
        self._jobs[job_id] = asyncio.create_task(
            self._execute(job_id, process, launch=launch), name=f"training-job {job_id}"
        )

    # -- one job ----------------------------------------------------------------------------

    async def _execute(
        self, job_id: int, process: TrainingProcess | RayRun | None, *, launch: bool
    ) -> None:
        try:
            attempt = await self._attempt(job_id)
            if launch:
                process = await self._launch(attempt)
            if process is not None:
                await self._watch(attempt, process)
            await self._finish(attempt, process, lost=process is None)
        except LostClaim:
            logger.info("training job %d: no longer ours; its process is stopped", job_id)
            if process is not None:
                await process.terminate(self.services.settings.training_kill_timeout_seconds)
        except LaunchError as exc:
            await self._fail(job_id, str(exc))
        except asyncio.CancelledError:
            if process is not None:
                process.detach()
            raise
        except Exception as exc:
            logger.exception("training job %d: the scheduler failed", job_id)
            if process is not None:
                await process.terminate(self.services.settings.training_kill_timeout_seconds)
            with contextlib.suppress(Exception):
                await self._fail(job_id, f"The scheduler failed: {type(exc).__name__}: {exc}")
        finally:
            self.slots.release(job_id)
            self._jobs.pop(job_id, None)

    async def _attempt(self, job_id: int) -> Attempt:
        async with self.services.factory() as session:
            job = await session.get(TrainingJob, job_id)
        if job is None or job.claimed_by != self.id:
            raise LostClaim(job_id)
        return Attempt(
            job_id=job_id,
            job_dir=Path(job.job_dir),
            output_dir=Path(job.output_dir),
            next_seq=job.log_lines + 1,
            offsets=dict(job.read_offsets or {}),
        )

    async def _config(self, job: TrainingJob) -> str:
        async with self.services.factory() as session:
            base = await session.get(BaseModel, job.base_model_id)
            dataset = await session.get(Dataset, job.dataset_id)
        if base is None or dataset is None:
            raise LaunchError("The job's base model or dataset no longer exists.")
        plan, _ = plan_for(job, base, dataset, self.services.settings)
        slot = plan.model_copy(update={"gpu_count": len(_gpus(job))})  # 0: the CPU slot
        return to_yaml(build_config(slot, job.job_dir, resume=job.resume))

    def _environment(self, job: TrainingJob) -> dict[str, str]:
        if job.swanlab_key_encrypted and (job.swanlab or {}).get("mode") == "cloud":
            return {"SWANLAB_API_KEY": self.services.box.decrypt(job.swanlab_key_encrypted)}
        return {}

    async def _launch(self, attempt: Attempt) -> TrainingProcess | RayRun:
        async with self.services.factory() as session:
            job = await session.get(TrainingJob, attempt.job_id)
        if job is None or job.claimed_by != self.id:
            raise LostClaim(attempt.job_id)
        executor = self.services.executor
        if not executor.available():
            raise LaunchError(
                f"llamafactory-cli was not found at {executor.cli!r}: install LLaMA-Factory "
                "(make llamafactory) or set LLMFORGE_LLAMAFACTORY_CLI."
            )
        if not workspace.is_job_folder(attempt.job_dir, attempt.output_dir):
            # an empty path is the process's working directory: never empty *that*
            raise LaunchError(
                f"The job has no folder of its own (job_dir {job.job_dir!r}, output_dir "
                f"{job.output_dir!r}), so it cannot run; create the job again."
            )
        yaml_text = await self._config(job)
        await asyncio.to_thread(workspace.prepare_attempt, attempt.output_dir, resume=job.resume)
        if not job.resume:
            attempt.offsets["trainer_log"] = 0
        config_path = await asyncio.to_thread(workspace.write_config, attempt.job_dir, yaml_text)
        spec = LaunchSpec(
            job_dir=attempt.job_dir,
            config_path=config_path,
            output_dir=attempt.output_dir,
            gpus=_gpus(job),
            extra_env=self._environment(job),
            job_id=job.id,
            attempt=job.attempt,
        )
        process = await executor.start(spec)
        mode = "resuming from the last checkpoint" if job.resume else "from the start"
        await self._note(
            attempt,
            f"attempt {job.attempt}: llamafactory-cli train {config_path.name} ({process.label}, "
            f"{mode})",
            pid=process.pid,
            pid_started=process.start_time,
            yaml=yaml_text,
        )
        return process

    async def _note(self, attempt: Attempt, text: str, **columns: Any) -> None:
        """A system line in the job's log (and column updates), under the claim."""
        async with write_transaction(self.services.factory) as session:
            updated = await session.execute(
                update(TrainingJob)
                .where(TrainingJob.id == attempt.job_id, TrainingJob.claimed_by == self.id)
                .values(log_lines=attempt.next_seq, heartbeat_at=utcnow(), **columns)
            )
            if getattr(updated, "rowcount", 0) != 1:
                raise LostClaim(attempt.job_id)
            session.add(
                LogLine(job_id=attempt.job_id, seq=attempt.next_seq, stream="system", text=text)
            )
        attempt.next_seq += 1

    async def _collect(self, attempt: Attempt, monitor: Monitor, *, force: bool) -> Batch:
        batch = await asyncio.to_thread(monitor.read)
        if batch.empty and not force:
            return batch
        async with write_transaction(self.services.factory) as session:
            attempt.next_seq = await store_batch(
                session, attempt.job_id, self.id, attempt.next_seq, batch
            )
        attempt.offsets = batch.offsets
        return batch

    async def _cancel_mode(self, job_id: int) -> CancelMode | None:
        async with self.services.factory() as session:
            row = (
                await session.execute(
                    select(TrainingJob.cancel_requested, TrainingJob.claimed_by).where(
                        TrainingJob.id == job_id
                    )
                )
            ).first()
        if row is None or row.claimed_by != self.id:
            raise LostClaim(job_id)
        mode: CancelMode | None = row.cancel_requested
        return mode

    async def _watch(self, attempt: Attempt, process: TrainingProcess | RayRun) -> None:
        settings = self.services.settings
        monitor = Monitor(attempt.job_dir, attempt.output_dir, attempt.offsets)
        graceful_at: float | None = None
        stopping: asyncio.Task[None] | None = None
        last_beat = time.monotonic()
        while True:
            alive = process.alive()
            beat = time.monotonic() - last_beat >= self.heartbeat
            await self._collect(attempt, monitor, force=beat)
            if beat:
                last_beat = time.monotonic()
            if not alive:
                break
            mode = await self._cancel_mode(attempt.job_id)
            if mode is CancelMode.graceful and graceful_at is None:
                process.request_stop()
                graceful_at = time.monotonic()
                await self._note(attempt, "graceful stop: SIGABRT sent, saving after this step")
            timed_out = (
                graceful_at is not None
                and time.monotonic() - graceful_at > settings.training_graceful_stop_seconds
            )
            if (mode is CancelMode.force or timed_out) and stopping is None:
                await self._note(attempt, "stop: SIGTERM to the process group (SIGKILL follows)")
                stopping = asyncio.create_task(
                    process.terminate(settings.training_kill_timeout_seconds)
                )
            await asyncio.sleep(self.poll)
        if stopping is not None:
            await stopping

    async def _finish(
        self, attempt: Attempt, process: TrainingProcess | RayRun | None, *, lost: bool
    ) -> None:
        monitor = Monitor(attempt.job_dir, attempt.output_dir, attempt.offsets)
        await self._collect(attempt, monitor, force=False)
        output = attempt.output_dir
        results = await asyncio.to_thread(workspace.results, output)
        weights = await asyncio.to_thread(workspace.has_weights, output)
        checkpoint = await asyncio.to_thread(workspace.last_checkpoint, output)
        stderr_tail = await asyncio.to_thread(workspace.tail, attempt.job_dir / "stderr.log")
        returncode = process.returncode if process is not None else None
        async with transaction(self.services.factory) as session:
            job = await session.get(TrainingJob, attempt.job_id, with_for_update=True)
            if job is None or job.claimed_by != self.id or job.status is not JobStatus.running:
                raise LostClaim(attempt.job_id)
            now = utcnow()
            job.exit_code = returncode
            if results is not None and weights:
                await self._ended(session, job, results, now)
            elif job.cancel_requested is not None:
                reason = f"cancelled ({job.cancel_requested.value}); no final weights were saved"
                self._settle(session, job, JobStatus.cancelled, reason, now)
            elif lost and checkpoint is not None:
                reason = f"the training process was lost; resuming from {checkpoint.name}"
                await requeue(session, job, resume=True, reason=reason)
            else:
                reason = self._failure(returncode, lost, stderr_tail)
                job.error = reason
                self._settle(session, job, JobStatus.failed, reason, now)
            session.add(
                LogLine(
                    job_id=job.id,
                    seq=attempt.next_seq,
                    stream="system",
                    text=f"{job.status.value}"
                    + (f" (exit status {returncode})" if returncode is not None else ""),
                )
            )
            job.log_lines = attempt.next_seq
        logger.info("training job %d %s", attempt.job_id, job.status.value)

    @staticmethod
    def _failure(returncode: int | None, lost: bool, tail: list[str]) -> str:
        if lost:
            return (
                "The training process was lost (the server or worker stopped) before it saved "
                "a checkpoint."
            )
        if returncode is not None and returncode < 0:
            cause = f"was killed by {signal.Signals(-returncode).name}"
        elif returncode is not None:
            cause = f"exited with status {returncode}"
        else:
            cause = "ended without results"
        errors = [line for line in tail if "Error" in line or "error" in line]
        last = (errors or tail or [""])[-1].strip()
        return f"llamafactory-cli train {cause}" + (f": {last[:500]}" if last else ".")

    def _settle(
        self, session: AsyncSession, job: TrainingJob, status: JobStatus, reason: str, now: Any
    ) -> None:
        add_transition(session, job, status, reason, at=now)
        job.finished_at = now
        job.claimed_by = None
        job.heartbeat_at = None
        job.eta_seconds = 0.0 if status is JobStatus.succeeded else None

    async def _ended(
        self, session: AsyncSession, job: TrainingJob, results: dict[str, Any], now: Any
    ) -> None:
        loss = results.get("train_loss")
        summary = f" (train_loss {loss:.4f})" if isinstance(loss, int | float) else ""
        if job.cancel_requested is not None:
            reason = f"cancelled ({job.cancel_requested.value}); the weights were saved{summary}"
            self._settle(session, job, JobStatus.cancelled, reason, now)
            return
        job.progress = 100.0
        self._settle(session, job, JobStatus.succeeded, f"training finished{summary}", now)
        await self._register(session, job)
        await queue_for_job(session, job)

    async def _register(self, session: AsyncSession, job: TrainingJob) -> None:
        full = job.method in (Method.full.value, Method.freeze.value)
        output = Path(job.output_dir)
        try:
            async with session.begin_nested():
                version = await register_version(
                    session,
                    user_id=job.user_id,
                    name=job.name,
                    base_model_id=job.base_model_id,
                    adapter_path=None if full else output,
                    model_path=output if full else None,
                    template=job.template,
                    finetuning_type="lora"
                    if job.method.startswith(("lora", "qlora"))
                    else job.method,
                    job_id=job.id,
                )
            job.model_version_id = version.id
        except DomainError as exc:
            job.error = f"Trained, but the model version was not registered: {exc.message}"

    async def _fail(self, job_id: int, reason: str) -> None:
        async with transaction(self.services.factory) as session:
            job = await session.get(TrainingJob, job_id, with_for_update=True)
            if job is None or job.claimed_by != self.id or job.status is not JobStatus.running:
                return
            job.error = reason
            self._settle(session, job, JobStatus.failed, reason, utcnow())


def _gpus(job: TrainingJob) -> tuple[str, ...]:
    return tuple(filter(None, (job.gpus or "").split(",")))


def _transition(job_id: int, from_status: str, to_status: str, reason: str) -> JobTransition:
    return JobTransition(
        job_id=job_id, from_status=from_status, to_status=to_status, reason=reason, at=utcnow()
    )


def create_scheduler(
    settings: Settings, box: SecretBox, factory: async_sessionmaker[AsyncSession]
) -> TrainingScheduler:
    cli = settings.resolved_llamafactory_cli
    executor: LocalExecutor | RayExecutor = LocalExecutor(cli)
    if settings.training_executor == "ray":
        executor = RayExecutor(
            settings.ray_address, cli, kill_timeout=settings.training_kill_timeout_seconds
        )
    return TrainingScheduler(SchedulerServices(settings, box, factory, executor))
