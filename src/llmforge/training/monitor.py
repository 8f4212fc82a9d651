"""Following a running job's files into the database: new process output lines (cleaned) and
trainer_log.jsonl points, stored with the job's progress, ETA and throughput in one
transaction that only the job's claim holder can commit."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from llmforge.db import utcnow
from llmforge.training.logs import FileFollower, MetricPoint, merge, parse_lines, read_output_lines
from llmforge.training.models import JobStatus, LogLine, MetricPointRow, TrainingJob

TRAINER_LOG = "trainer_log.jsonl"


class LostClaim(Exception):
    """The job was deleted, cancelled elsewhere or taken over: stop following it."""


@dataclass
class Batch:
    lines: list[tuple[str, str]] = field(default_factory=list)
    """(stream, text)"""
    points: list[MetricPoint] = field(default_factory=list)
    offsets: dict[str, int] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.lines and not self.points


class Monitor:
    """The files of one job, read incrementally from stored offsets (blocking: use a thread)."""

    def __init__(self, job_dir: Path, output_dir: Path, offsets: dict[str, int]) -> None:
        self.followers = {
            "stdout": FileFollower(job_dir / "stdout.log", offsets.get("stdout", 0)),
            "stderr": FileFollower(job_dir / "stderr.log", offsets.get("stderr", 0)),
        }
        self.trainer = FileFollower(output_dir / TRAINER_LOG, offsets.get("trainer_log", 0))

    def read(self) -> Batch:
        batch = Batch()
        for stream, follower in self.followers.items():
            batch.lines.extend((stream, text) for text in read_output_lines(follower))
        batch.points = parse_lines(self.trainer.read_lines())
        batch.offsets = {name: f.offset for name, f in self.followers.items()}
        batch.offsets["trainer_log"] = self.trainer.offset
        return batch


def _merged(points: list[MetricPoint]) -> dict[int, MetricPoint]:
    by_step: dict[int, MetricPoint] = {}
    for point in points:
        known = by_step.get(point.step)
        by_step[point.step] = merge(known, point) if known else point
    return by_step


async def store_points(session: AsyncSession, job_id: int, points: list[MetricPoint]) -> None:
    """Upsert by step: a step seen again keeps the union of its values, the newest winning."""
    by_step = _merged(points)
    stored = {
        row.step: row
        for row in await session.scalars(
            select(MetricPointRow).where(
                MetricPointRow.job_id == job_id, MetricPointRow.step.in_(list(by_step))
            )
        )
    }
    if stored:
        await session.execute(
            delete(MetricPointRow).where(MetricPointRow.id.in_([row.id for row in stored.values()]))
        )
    now = utcnow()
    rows = []
    for step, point in sorted(by_step.items()):
        earlier = stored.get(step)
        values = {**(earlier.values if earlier else {}), **point.values}
        elapsed = point.elapsed_seconds
        if elapsed is None and earlier is not None:
            elapsed = earlier.elapsed_seconds
        rows.append(
            {
                "job_id": job_id,
                "step": step,
                "values": values,
                "elapsed_seconds": elapsed,
                "created_at": now,
            }
        )
    await session.execute(insert(MetricPointRow), rows)


def progress_values(points: list[MetricPoint]) -> dict[str, Any]:
    """The job columns the newest point updates."""
    if not points:
        return {}
    last = max(points, key=lambda point: point.step)
    values: dict[str, Any] = {"current_step": last.step}
    if last.total_steps:
        values["total_steps"] = last.total_steps
    if last.percentage is not None:
        values["progress"] = min(100.0, max(0.0, last.percentage))
    if last.remaining_seconds is not None:
        values["eta_seconds"] = last.remaining_seconds
    throughputs = [p.values["throughput"] for p in points if "throughput" in p.values]
    if throughputs:
        values["throughput"] = throughputs[-1]
    losses = [p for p in points if "loss" in p.values]
    if losses:
        values["latest_loss"] = max(losses, key=lambda point: point.step).values["loss"]
    return values


async def store_batch(
    session: AsyncSession, job_id: int, claimed_by: str, first_seq: int, batch: Batch
) -> int:
    """Store a batch (and refresh the heartbeat); returns the next free seq. Raises LostClaim
    when the job is no longer running under this claim: then nothing is stored."""
    values: dict[str, Any] = {
        "heartbeat_at": utcnow(),
        "read_offsets": batch.offsets,
        "log_lines": first_seq - 1 + len(batch.lines),
        **progress_values(batch.points),
    }
    updated = await session.execute(
        update(TrainingJob)
        .where(
            TrainingJob.id == job_id,
            TrainingJob.claimed_by == claimed_by,
            TrainingJob.status == JobStatus.running,
        )
        .values(**values)
    )
    if getattr(updated, "rowcount", 0) != 1:
        raise LostClaim(job_id)
    if batch.lines:
        now = utcnow()
        await session.execute(
            insert(LogLine),
            [
                {
                    "job_id": job_id,
                    "seq": first_seq + i,
                    "stream": stream,
                    "text": text,
                    "created_at": now,
                }
                for i, (stream, text) in enumerate(batch.lines)
            ],
        )
    if batch.points:
        await store_points(session, job_id, batch.points)
    return first_seq + len(batch.lines)
