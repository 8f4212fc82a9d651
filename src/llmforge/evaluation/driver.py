"""Drives evaluations forward, in the process that supervises serving (it starts and stops
the servers). Each second, every evaluation under way takes the step its state allows; one
runs at a time (the others stay pending), as they share serving slots and base versions:

pending -> serve the base model alone and the fine-tuned version (making the base version
when it does not exist yet) -> running/serving -> once both are chat models, a test set of
the held-out prompts and a batch run of both with the similarity scorer -> running/testing
-> completed when the run completes, failed with the reason otherwise. A failure at any step
ends the evaluation as failed; the servers the evaluation started are then stopped."""

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from llmforge.base_models.models import BaseModel
from llmforge.batch import service as batch
from llmforge.batch.models import BatchRun, RunStatus
from llmforge.batch.parsing import ParsedRow, ParseResult
from llmforge.batch.schemas import RunCreate, SimilarityScorer
from llmforge.core.errors import DomainError
from llmforge.datasets.models import Dataset
from llmforge.datasets.training import heldout_records, training_dataset
from llmforge.db import transaction, utcnow
from llmforge.evaluation.models import ACTIVE_EVALUATION, Evaluation, EvaluationStatus
from llmforge.providers.models import Model
from llmforge.serving import service as serving
from llmforge.serving.models import ModelVersion, ServeStatus
from llmforge.serving.supervisor import ServingSupervisor
from llmforge.settings import Settings
from llmforge.training.models import TrainingJob
from llmforge.usage.recorder import UsageRecorder
from llmforge.users.models import User

logger = logging.getLogger("llmforge.evaluation")
POLL_SECONDS = 1.0


class EvaluationFailed(Exception):
    """The evaluation cannot go on: it ends failed with this reason."""


@dataclass(frozen=True)
class DriverServices:
    settings: Settings
    factory: async_sessionmaker[AsyncSession]
    recorder: UsageRecorder
    supervisor: ServingSupervisor
    wake_runner: Callable[[], None]


@dataclass
class Step:
    """What to do once the step's transaction is committed."""

    serve: list[int]
    stop: list[int]
    wake_runner: bool = False


class EvaluationDriver:
    def __init__(self, services: DriverServices) -> None:
        self.services = services
        self.settings = services.settings
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="training-evaluations")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _loop(self) -> None:
        while True:
            if self.services.supervisor.supervising:
                try:
                    await self.poll()
                except Exception:  # the database may be away for a moment
                    logger.exception("driving evaluations failed")
            await asyncio.sleep(POLL_SECONDS)

    async def poll(self) -> None:
        async with self.services.factory() as session:
            ids = list(
                await session.scalars(
                    select(Evaluation.id)
                    .where(Evaluation.status.in_(ACTIVE_EVALUATION))
                    .order_by(Evaluation.id)
                )
            )
        for evaluation_id in ids:
            await self._advance(evaluation_id)

    async def _advance(self, evaluation_id: int) -> None:
        try:
            async with transaction(self.services.factory) as session:
                step = await self._step(session, evaluation_id)
        except (EvaluationFailed, DomainError) as exc:
            reason = exc.message if isinstance(exc, DomainError) else str(exc)
            step = await self._fail(evaluation_id, reason)
        except Exception as exc:
            logger.exception("evaluation %d failed", evaluation_id)
            step = await self._fail(evaluation_id, f"{type(exc).__name__}: {exc}")
        for version_id in step.serve:
            await self.services.supervisor.serve(version_id)
        if step.wake_runner:
            self.services.wake_runner()
        if step.stop:
            await self._stop_servers(step.stop)

    async def _step(self, session: AsyncSession, evaluation_id: int) -> Step:
        evaluation = await session.get(Evaluation, evaluation_id, with_for_update=True)
        if evaluation is None or evaluation.status not in ACTIVE_EVALUATION:
            return Step([], [])
        if evaluation.status is EvaluationStatus.pending:
            if await self._another_running(session, evaluation):
                return Step([], [])  # one at a time: they share serving slots and base versions
            return Step(await self._begin(session, evaluation), [])
        if evaluation.phase == "serving":
            return Step([], [], wake_runner=await self._when_served(session, evaluation))
        return Step([], await self._when_tested(session, evaluation))

    # ---- pending -> serving ------------------------------------------------------------
    @staticmethod
    async def _another_running(session: AsyncSession, evaluation: Evaluation) -> bool:
        other = await session.scalar(
            select(Evaluation.id)
            .where(Evaluation.status == EvaluationStatus.running, Evaluation.id != evaluation.id)
            .limit(1)
        )
        return other is not None

    async def _base_version(self, session: AsyncSession, job: TrainingJob) -> ModelVersion:
        """The job owner's version of the base model alone (no adapter), made when missing."""
        base = await session.get(BaseModel, job.base_model_id)
        if base is None:
            raise EvaluationFailed("The job's base model no longer exists.")
        found = await session.scalar(
            select(ModelVersion).where(
                ModelVersion.user_id == job.user_id,
                ModelVersion.base_model_id == base.id,
                ModelVersion.adapter_path.is_(None),
                ModelVersion.model_path == base.path,
            )
        )
        if found is not None:
            return found
        return await serving.register_version(
            session,
            user_id=job.user_id,
            name=f"{base.name}-base",
            base_model_id=base.id,
            adapter_path=None,
            model_path=Path(base.path),
            template=base.template,
            finetuning_type="full",
            job_id=None,
        )

    async def _begin(self, session: AsyncSession, evaluation: Evaluation) -> list[int]:
        job = await session.get(TrainingJob, evaluation.job_id)
        tuned = await session.get(ModelVersion, job.model_version_id) if job else None
        if job is None or tuned is None:
            raise EvaluationFailed("The job's fine-tuned model version no longer exists.")
        base = await self._base_version(session, job)
        started = []
        for version in (base, tuned):
            if version.status not in (ServeStatus.starting, ServeStatus.serving):
                await serving.request_serve(session, self.settings, version)
                started.append(version.id)
        evaluation.status, evaluation.phase = EvaluationStatus.running, "serving"
        evaluation.base_version_id, evaluation.tuned_version_id = base.id, tuned.id
        evaluation.started_version_ids = started
        evaluation.started_at = utcnow()
        return started

    # ---- serving -> testing ------------------------------------------------------------
    async def _when_served(self, session: AsyncSession, evaluation: Evaluation) -> bool:
        """Start the batch run once both models are served (True); fail when one cannot be."""
        versions = [
            await session.get(ModelVersion, version_id)
            for version_id in (evaluation.base_version_id, evaluation.tuned_version_id)
            if version_id is not None
        ]
        ready = []
        for version in versions:
            if version is None:
                raise EvaluationFailed("A model version of the evaluation was deleted.")
            if version.status in (ServeStatus.error, ServeStatus.stopped, ServeStatus.stopping):
                detail = f": {version.last_error[-500:]}" if version.last_error else "."
                raise EvaluationFailed(
                    f"Model version '{version.name}' could not be served{detail}"
                )
            if version.status is ServeStatus.serving and version.served_model_id is not None:
                ready.append(version)
        if len(ready) == 2:
            await self._start_run(session, evaluation, ready)
            return True
        waited = utcnow() - (evaluation.started_at or utcnow())
        limit = timedelta(seconds=2 * self.settings.serving_ready_timeout_seconds + 60)
        if waited > limit:
            raise EvaluationFailed(
                f"The models were not served within {int(limit.total_seconds())} seconds."
            )
        return False

    async def _rows(self, session: AsyncSession, job: TrainingJob) -> ParseResult:
        dataset = await session.get(Dataset, job.dataset_id)
        if dataset is None:
            raise EvaluationFailed("The job's dataset no longer exists.")
        ds = training_dataset(dataset, self.settings.data_dir)
        records = await asyncio.to_thread(heldout_records, ds)
        if not records:
            raise EvaluationFailed("The dataset's held-out split has no prompts to ask.")
        return ParseResult(
            rows=[
                ParsedRow(
                    source_row=number,
                    prompt=record["prompt"],
                    reference=record["reference"] or None,
                    system_prompt=record.get("system") or None,
                    tags=[],
                )
                for number, record in enumerate(records, start=1)
            ]
        )

    async def _start_run(
        self, session: AsyncSession, evaluation: Evaluation, versions: list[ModelVersion]
    ) -> None:
        job = await session.get(TrainingJob, evaluation.job_id)
        user = await session.get(User, evaluation.user_id)
        assert job is not None and user is not None  # the foreign keys cascade
        rows = await self._rows(session, job)
        name = f"Evaluation of training job {job.id} ({job.name})"
        test_set = await batch.create_set(session, user, name[:200], "json", rows)
        for version in versions:
            model = await session.get(Model, version.served_model_id)
            if model is not None and "max_tokens" not in model.parameters:
                model.parameters = {
                    **model.parameters,
                    "max_tokens": self.settings.evaluation_max_tokens,
                }
        await session.flush()
        run = await batch.create_run(
            session,
            self.settings,
            self.services.recorder,
            user,
            RunCreate(
                set_id=test_set.id,
                model_ids=[version.served_model_id or 0 for version in versions],
                scorers=[SimilarityScorer(type="similarity")],
                concurrency_per_provider=2,
            ),
        )
        evaluation.set_id, evaluation.run_id, evaluation.phase = test_set.id, run.id, "testing"

    # ---- testing -> completed ----------------------------------------------------------
    async def _when_tested(self, session: AsyncSession, evaluation: Evaluation) -> list[int]:
        run = await session.get(BatchRun, evaluation.run_id) if evaluation.run_id else None
        if run is None:
            raise EvaluationFailed("The evaluation's batch run was deleted.")
        if run.status in (RunStatus.queued, RunStatus.running):
            return []
        if run.status is not RunStatus.completed:
            message = (run.error or {}).get("message")
            raise EvaluationFailed(
                f"The batch run ended {run.status.value}" + (f": {message}" if message else ".")
            )
        return self._settle(evaluation, EvaluationStatus.completed, None)

    @staticmethod
    def _settle(evaluation: Evaluation, status: EvaluationStatus, reason: str | None) -> list[int]:
        evaluation.status, evaluation.reason, evaluation.phase = status, reason, None
        evaluation.finished_at = utcnow()
        return list(evaluation.started_version_ids or [])

    async def _fail(self, evaluation_id: int, reason: str) -> Step:
        async with transaction(self.services.factory) as session:
            evaluation = await session.get(Evaluation, evaluation_id, with_for_update=True)
            if evaluation is None or evaluation.status not in ACTIVE_EVALUATION:
                return Step([], [])
            logger.info("evaluation %d failed: %s", evaluation_id, reason)
            return Step([], self._settle(evaluation, EvaluationStatus.failed, reason))

    async def _stop_servers(self, version_ids: list[int]) -> None:
        """Stop the servers this evaluation started (ones the user started stay)."""
        for version_id in version_ids:
            async with self.services.factory() as session:
                version = await session.get(ModelVersion, version_id)
                active = version is not None and version.status not in (
                    ServeStatus.stopped,
                    ServeStatus.stopping,
                )
            if active:
                with contextlib.suppress(Exception):
                    await self.services.supervisor.stop(version_id)
