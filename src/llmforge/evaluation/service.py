"""Evaluations: queued when a job with a held-out split succeeds (or by hand), read with the
batch run's figures side by side. The work itself is done by driver.py."""

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from llmforge.batch import service as batch
from llmforge.batch.models import BatchRun
from llmforge.batch.schemas import CellRead, ModelSummary, ResultRow
from llmforge.core.errors import Conflict
from llmforge.datasets.models import Dataset
from llmforge.evaluation.models import ACTIVE_EVALUATION, Evaluation
from llmforge.evaluation.schemas import (
    EvaluationRead,
    EvaluationRow,
    Side,
    SideAnswer,
    SideSummary,
)
from llmforge.training.models import JobStatus, TrainingJob

SCORER = "similarity"
SIDES: tuple[Side, Side] = ("base", "fine_tuned")


async def _has_heldout(session: AsyncSession, job: TrainingJob) -> bool:
    dataset = await session.get(Dataset, job.dataset_id)
    return dataset is not None and bool(dataset.heldout_count)


async def _replace(session: AsyncSession, job: TrainingJob) -> Evaluation:
    await session.execute(delete(Evaluation).where(Evaluation.job_id == job.id))
    evaluation = Evaluation(job_id=job.id, user_id=job.user_id, started_version_ids=[])
    session.add(evaluation)
    await session.flush()
    return evaluation


async def queue_for_job(session: AsyncSession, job: TrainingJob) -> None:
    """In the transaction that settles a job as succeeded: queue its evaluation when its
    dataset has a held-out split and its model version was registered."""
    if job.model_version_id is not None and await _has_heldout(session, job):
        await _replace(session, job)


async def get_evaluation(session: AsyncSession, job: TrainingJob) -> Evaluation | None:
    found: Evaluation | None = await session.scalar(
        select(Evaluation).where(Evaluation.job_id == job.id)
    )
    return found


async def start(session: AsyncSession, job: TrainingJob) -> Evaluation:
    """Start (or run again) a job's evaluation by hand. 409 when the job has not succeeded,
    has no model version, its dataset has no held-out split, or one is under way."""
    if job.status is not JobStatus.succeeded:
        raise Conflict(
            f"Only a succeeded job can be evaluated; this one is {job.status.value}.",
            code="job_not_succeeded",
        )
    if job.model_version_id is None:
        raise Conflict("The job registered no model version.", code="no_model_version")
    if not await _has_heldout(session, job):
        raise Conflict(
            "The job's dataset has no held-out split to evaluate on.", code="no_heldout_split"
        )
    current = await get_evaluation(session, job)
    if current is not None and current.status in ACTIVE_EVALUATION:
        raise Conflict("The job's evaluation is under way.", code="evaluation_running")
    return await _replace(session, job)


def _answer(cell: CellRead | None) -> SideAnswer | None:
    if cell is None:
        return None
    score = (cell.scores.get(SCORER) or {}).get("score")
    return SideAnswer(
        answer=cell.answer,
        similarity=None if score is None else float(score),
        latency_ms=cell.latency_ms,
        failed=cell.failed,
    )


def _summary(evaluation: Evaluation, side: Side, summary: ModelSummary) -> SideSummary:
    version = evaluation.base_version_id if side == "base" else evaluation.tuned_version_id
    return SideSummary(
        side=side,
        version_id=version,
        model_id=summary.model_id,
        model_name=summary.model_name,
        mean_similarity=summary.scores.get(SCORER),
        mean_latency_ms=summary.mean_latency_ms,
        answered=summary.done - summary.errors,
        errors=summary.errors,
    )


def _row(row: ResultRow, model_ids: list[str]) -> EvaluationRow:
    cells = [row.cells.get(model_id) for model_id in model_ids]
    return EvaluationRow(
        position=row.position,
        prompt=row.prompt,
        reference=row.reference,
        base=_answer(cells[0]),
        fine_tuned=_answer(cells[1]),
    )


async def read(session: AsyncSession, evaluation: Evaluation) -> EvaluationRead:
    """The evaluation with the run's figures: the run's first model is the base, the second
    the fine-tuned one."""
    summary: list[SideSummary] = []
    rows: list[EvaluationRow] = []
    run = await session.get(BatchRun, evaluation.run_id) if evaluation.run_id else None
    if run is not None and len(run.models) == len(SIDES):
        detail = await batch.run_detail(session, run)
        summary = [_summary(evaluation, s, m) for s, m in zip(SIDES, detail.summary, strict=True)]
        ids = [str(model["id"]) for model in run.models]
        rows = [_row(row, ids) for row in await batch.all_results(session, run)]
    fields: dict[str, Any] = {
        name: getattr(evaluation, name)
        for name in EvaluationRead.model_fields
        if name not in ("summary", "rows")
    }
    return EvaluationRead(**fields, summary=summary, rows=rows)
