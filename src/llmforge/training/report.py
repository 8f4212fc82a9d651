"""The report of a job: configuration, dataset statistics, final / best / eval loss, duration,
throughput, the curves, artifacts with sizes; and the same as Markdown."""

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from llmforge.base_models.models import BaseModel
from llmforge.datasets.models import Dataset
from llmforge.evaluation import service as evaluations
from llmforge.evaluation.schemas import EvaluationRead, SideAnswer
from llmforge.training import service, workspace
from llmforge.training.models import MetricPointRow, TrainingJob
from llmforge.training.schemas import (
    ArtifactRead,
    CurvePoint,
    JobDetail,
    TrainingReport,
    TransitionRead,
)


def _number(results: dict[str, Any], key: str) -> float | None:
    value = results.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _losses(points: list[MetricPointRow]) -> tuple[float | None, float | None, int | None]:
    with_loss = [(p.step, p.values["loss"]) for p in points if "loss" in p.values]
    if not with_loss:
        return None, None, None
    best_step, best = min(with_loss, key=lambda item: item[1])
    return with_loss[-1][1], best, best_step


def _curve(points: list[MetricPointRow]) -> list[CurvePoint]:
    return [
        CurvePoint(
            step=p.step,
            loss=p.values.get("loss"),
            lr=p.values.get("lr"),
            eval_loss=p.values.get("eval_loss"),
        )
        for p in points
        if {"loss", "lr", "eval_loss"} & set(p.values)
    ]


def _tokens_per_second(points: list[MetricPointRow]) -> float | None:
    rates = [p.values["throughput"] for p in points if "throughput" in p.values]
    return rates[-1] if rates else None


async def build_report(
    session: AsyncSession, job: TrainingJob, detail: JobDetail
) -> TrainingReport:
    points = await service.metric_points(session, job)
    transitions = await service.transitions(session, job)
    base = await session.get(BaseModel, job.base_model_id)
    dataset = await session.get(Dataset, job.dataset_id)
    output = Path(job.output_dir)
    results = await asyncio.to_thread(workspace.results, output) or {}
    found = await asyncio.to_thread(workspace.artifacts, output)
    final, best, best_step = _losses(points)
    evals = [p.values["eval_loss"] for p in points if "eval_loss" in p.values]
    eval_loss = _number(results, "eval_loss") or (evals[-1] if evals else None)
    evaluation = await evaluations.get_evaluation(session, job)
    duration = None
    if job.started_at and job.finished_at:
        duration = (job.finished_at - job.started_at).total_seconds()
    return TrainingReport(
        job=detail,
        base_model={
            "id": job.base_model_id,
            "name": base.name if base else None,
            "path": base.path if base else None,
            "template": base.template if base else None,
        },
        dataset={
            "id": job.dataset_id,
            "name": dataset.name if dataset else None,
            "version": dataset.version if dataset else None,
            "format": dataset.format if dataset else None,
            "record_count": dataset.record_count if dataset else None,
            "train_count": dataset.train_count if dataset else None,
            "heldout_count": dataset.heldout_count if dataset else None,
            "stats": dataset.stats if dataset else {},
        },
        final_loss=final if final is not None else _number(results, "train_loss"),
        best_loss=best,
        best_step=best_step,
        eval_loss=eval_loss,
        duration_seconds=duration,
        train_runtime_seconds=_number(results, "train_runtime"),
        samples_per_second=_number(results, "train_samples_per_second"),
        steps_per_second=_number(results, "train_steps_per_second"),
        tokens_per_second=_tokens_per_second(points),
        results=results,
        curve=_curve(points),
        artifacts=[ArtifactRead(name=a.name, kind=a.kind, size_bytes=a.size_bytes) for a in found],
        transitions=[TransitionRead.model_validate(t) for t in transitions],
        evaluation=await evaluations.read(session, evaluation) if evaluation else None,
    )


def _size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def _fmt(value: float | None, digits: int = 4) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _table(rows: list[tuple[str, str]]) -> list[str]:
    return ["| | |", "|---|---|", *(f"| {key} | {value} |" for key, value in rows)]


def to_markdown(report: TrainingReport) -> str:
    job = report.job
    lines = [f"# Training report: {job.name} (job {job.id})", ""]
    lines += _table(
        [
            ("Status", job.status.value),
            ("Base model", f"{report.base_model.get('name')} (`{report.base_model.get('path')}`)"),
            (
                "Dataset",
                f"{report.dataset.get('name')} v{report.dataset.get('version')}, "
                f"{report.dataset.get('record_count')} records ({report.dataset.get('format')})",
            ),
            ("Method / stage", f"{job.method} / {job.stage}"),
            ("Template", job.template),
            ("Attempts", str(job.attempt)),
            ("Final loss", _fmt(report.final_loss)),
            ("Best loss", f"{_fmt(report.best_loss)} (step {report.best_step})"),
            ("Eval loss", _fmt(report.eval_loss)),
            ("Duration", f"{_fmt(report.duration_seconds, 1)} s"),
            ("Train runtime", f"{_fmt(report.train_runtime_seconds, 1)} s"),
            ("Samples / s", _fmt(report.samples_per_second, 3)),
            ("Steps / s", _fmt(report.steps_per_second, 3)),
            ("Tokens / s", _fmt(report.tokens_per_second, 1)),
        ]
    )
    lines += [
        "",
        "## Loss curve",
        "",
        "| step | loss | learning rate | eval loss |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {p.step} | {_fmt(p.loss)} | {'—' if p.lr is None else f'{p.lr:.3e}'} | "
        f"{_fmt(p.eval_loss)} |"
        for p in report.curve
    ]
    lines += ["", "## Artifacts", "", "| name | kind | size |", "|---|---|---|"]
    lines += [f"| {a.name} | {a.kind} | {_size(a.size_bytes)} |" for a in report.artifacts]
    lines += ["", "## Timeline", ""]
    lines += [
        f"- {t.at.isoformat(timespec='seconds')}: {t.from_status or '—'} → {t.to_status}: "
        f"{t.reason}"
        for t in report.transitions
    ]
    if report.evaluation is not None:
        lines += ["", *_evaluation_markdown(report.evaluation)]
    lines += ["", "## Configuration", "", "```yaml", job.yaml.rstrip(), "```", ""]
    return "\n".join(lines)


def _cell_text(text: str | None, limit: int = 300) -> str:
    """One table cell: no line breaks or pipes, cut at `limit` characters."""
    flat = " ".join((text or "").split()).replace("|", "\\|")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _side_text(side: SideAnswer | None) -> str:
    if side is None:
        return "—"
    if side.failed:
        return "(error)"
    return f"{_cell_text(side.answer)} ({_fmt(side.similarity, 3)})"


def _evaluation_markdown(evaluation: EvaluationRead) -> list[str]:
    lines = ["## Evaluation: base vs fine-tuned", ""]
    state = evaluation.status.value + (f": {evaluation.reason}" if evaluation.reason else "")
    lines += [
        f"State: {state}" + (f" (batch run {evaluation.run_id})" if evaluation.run_id else "")
    ]
    if evaluation.summary:
        lines += [
            "",
            "| | model | mean similarity | mean latency (ms) | errors |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {s.side.replace('_', '-')} | {s.model_name} | {_fmt(s.mean_similarity)} | "
            f"{_fmt(s.mean_latency_ms, 1)} | {s.errors} |"
            for s in evaluation.summary
        ]
    if evaluation.rows:
        lines += ["", "| # | prompt | reference | base | fine-tuned |", "|---|---|---|---|---|"]
        lines += [
            f"| {r.position} | {_cell_text(r.prompt)} | {_cell_text(r.reference)} | "
            f"{_side_text(r.base)} | {_side_text(r.fine_tuned)} |"
            for r in evaluation.rows
        ]
    return lines
