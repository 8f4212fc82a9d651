"""A job's live event stream (SSE): what the scheduler stored since the client's offsets, polled
every `poll` seconds. Events: `job` (status, progress, step, ETA, throughput, loss, error; sent
first and on every change), `transition`, `log` ({lines: [{seq, stream, text}]}), `metric`
({points: [{id, step, values, elapsed_seconds}]}), and `end` once the job is final and
everything was sent."""

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sse_starlette import ServerSentEvent

from llmforge.training.models import (
    FINAL_STATUSES,
    JobTransition,
    LogLine,
    MetricPointRow,
    TrainingJob,
)
from llmforge.training.schemas import JobRead, LogLineRead, MetricRead, TransitionRead

BATCH = 500


@dataclass
class Cursor:
    log_after: int = 0
    metric_after: int = 0
    transition_after: int = 0
    job_state: str = ""


def _event(name: str, data: object) -> ServerSentEvent:
    return ServerSentEvent(data=json.dumps(data, default=str), event=name)


async def _job(session: AsyncSession, job_id: int) -> TrainingJob | None:
    return await session.get(TrainingJob, job_id, populate_existing=True)


async def _new_rows(
    session: AsyncSession, job_id: int, cursor: Cursor
) -> tuple[list[JobTransition], list[LogLine], list[MetricPointRow]]:
    transitions = await session.scalars(
        select(JobTransition)
        .where(JobTransition.job_id == job_id, JobTransition.id > cursor.transition_after)
        .order_by(JobTransition.id)
    )
    lines = await session.scalars(
        select(LogLine)
        .where(LogLine.job_id == job_id, LogLine.seq > cursor.log_after)
        .order_by(LogLine.seq)
        .limit(BATCH)
    )
    points = await session.scalars(
        select(MetricPointRow)
        .where(MetricPointRow.job_id == job_id, MetricPointRow.id > cursor.metric_after)
        .order_by(MetricPointRow.id)
        .limit(BATCH)
    )
    return list(transitions), list(lines), list(points)


async def job_events(
    factory: async_sessionmaker[AsyncSession], job_id: int, cursor: Cursor, poll: float
) -> AsyncIterator[ServerSentEvent]:
    while True:
        async with factory() as session:
            job = await _job(session, job_id)
            if job is None:
                yield _event("end", {"reason": "deleted"})
                return
            transitions, lines, points = await _new_rows(session, job_id, cursor)
        state = JobRead.model_validate(job).model_dump(mode="json")
        fingerprint = json.dumps(state, sort_keys=True)
        if fingerprint != cursor.job_state:
            cursor.job_state = fingerprint
            yield _event("job", state)
        for transition in transitions:
            cursor.transition_after = transition.id
            yield _event(
                "transition", TransitionRead.model_validate(transition).model_dump(mode="json")
            )
        if lines:
            cursor.log_after = lines[-1].seq
            payload = [LogLineRead.model_validate(line).model_dump(mode="json") for line in lines]
            yield _event("log", {"lines": payload})
        if points:
            cursor.metric_after = points[-1].id
            payload = [MetricRead.model_validate(p).model_dump(mode="json") for p in points]
            yield _event("metric", {"points": payload})
        drained = len(lines) < BATCH and len(points) < BATCH
        if job.status in FINAL_STATUSES and drained:
            yield _event("end", {"status": job.status.value})
            return
        if drained:
            await asyncio.sleep(poll)
