"""Comparison runs: ownership, reads that keep blind runs blind, history, votes, and turning
one lane into a chat."""

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import Select, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from llmforge.chat.models import ChatMessage, ChatSession, MessageRole, MessageStatus
from llmforge.chat.service import title_from, touch
from llmforge.compare.models import CompareLane, CompareRun, LaneStatus
from llmforge.compare.schemas import (
    CompareLaneRead,
    CompareLaneSummary,
    CompareRunRead,
    CompareRunSummary,
    Vote,
)
from llmforge.core.errors import Conflict, InvalidInput, NotFound
from llmforge.core.pagination import PageParams, paginate
from llmforge.providers.service import usable_model
from llmforge.users.models import User

PREVIEW_CHARS = 200
HIDDEN_FIELDS = ("model_id", "model_name", "provider_name", "parameters")


def label_of(position: int) -> str:
    return chr(ord("A") + position)


def hides_models(run: CompareRun) -> bool:
    return run.blind and not run.revealed


def lane_read(lane: CompareLane, run: CompareRun) -> CompareLaneRead:
    values = {name: getattr(lane, name) for name in CompareLaneRead.model_fields if name != "label"}
    if hides_models(run):
        values.update(dict.fromkeys(HIDDEN_FIELDS))
    return CompareLaneRead.model_validate({**values, "label": label_of(lane.position)})


def run_read(run: CompareRun, lanes: Sequence[CompareLane]) -> CompareRunRead:
    fields = {name: getattr(run, name) for name in CompareRunRead.model_fields if name != "lanes"}
    return CompareRunRead.model_validate(
        {**fields, "lanes": [lane_read(lane, run) for lane in lanes]}
    )


def run_summary(run: CompareRun, lanes: Sequence[CompareLane]) -> CompareRunSummary:
    fields = {
        name: getattr(run, name)
        for name in CompareRunSummary.model_fields
        if name not in ("lanes", "prompt_preview")
    }
    summaries = [
        CompareLaneSummary.model_validate(
            {name: getattr(read, name) for name in CompareLaneSummary.model_fields}
        )
        for read in (lane_read(lane, run) for lane in lanes)
    ]
    return CompareRunSummary.model_validate(
        {**fields, "prompt_preview": title_from(run.prompt)[:PREVIEW_CHARS], "lanes": summaries}
    )


async def owned_run(session: AsyncSession, user: User, run_id: int) -> CompareRun:
    run = await session.get(CompareRun, run_id)
    if run is None or run.user_id != user.id:
        raise NotFound(f"Comparison {run_id} does not exist.", code="compare_run_not_found")
    return run


async def lanes_of(session: AsyncSession, run: CompareRun) -> list[CompareLane]:
    rows = await session.scalars(
        select(CompareLane).where(CompareLane.run_id == run.id).order_by(CompareLane.position)
    )
    return list(rows)


async def lane_of(session: AsyncSession, run: CompareRun, lane_id: int) -> CompareLane:
    lane = await session.get(CompareLane, lane_id)
    if lane is None or lane.run_id != run.id:
        raise NotFound(f"Comparison {run.id} has no lane {lane_id}.", code="compare_lane_not_found")
    return lane


async def read(session: AsyncSession, run: CompareRun) -> CompareRunRead:
    return run_read(run, await lanes_of(session, run))


async def history(
    session: AsyncSession, user: User, params: PageParams
) -> tuple[list[CompareRunSummary], int]:
    statement = (
        select(CompareRun)
        .where(CompareRun.user_id == user.id)
        .order_by(CompareRun.created_at.desc(), CompareRun.id.desc())
    )
    runs, total = await paginate(session, statement, params)
    lanes: defaultdict[int, list[CompareLane]] = defaultdict(list)
    if runs:
        rows = await session.scalars(
            select(CompareLane)
            .where(CompareLane.run_id.in_([run.id for run in runs]))
            .order_by(CompareLane.run_id, CompareLane.position)
        )
        for lane in rows:
            lanes[lane.run_id].append(lane)
    return [run_summary(run, lanes[run.id]) for run in runs], total


async def delete(session: AsyncSession, run: CompareRun) -> None:
    await session.delete(run)  # lanes go with it (ON DELETE CASCADE)
    await session.flush()


async def reveal(session: AsyncSession, run: CompareRun) -> CompareRunRead:
    run.revealed = True
    await session.flush()
    return await read(session, run)


async def vote(session: AsyncSession, run: CompareRun, ballot: Vote) -> CompareRunRead:
    """Validate every lane named first, so a bad ballot changes nothing."""
    lanes = {lane.id: lane for lane in await lanes_of(session, run)}
    named = set(ballot.ratings)
    if ballot.winner_lane_id is not None:
        named.add(ballot.winner_lane_id)
    foreign = sorted(named - lanes.keys())
    if foreign:
        raise InvalidInput(
            f"Lane {', '.join(map(str, foreign))} is not part of comparison {run.id}.",
            code="lane_not_in_run",
            details={"lane_ids": foreign},
        )
    if "winner_lane_id" in ballot.model_fields_set:
        run.winner_lane_id = ballot.winner_lane_id
    for lane_id, rating in ballot.ratings.items():
        lanes[lane_id].rating = rating
    run.revealed = True
    await session.flush()
    return run_read(run, sorted(lanes.values(), key=lambda lane: lane.position))


async def continue_as_chat(
    session: AsyncSession, user: User, run: CompareRun, lane: CompareLane
) -> ChatSession:
    """A chat with the lane's model and system prompt, holding the prompt and this answer
    as its first two messages, ready to go on from there."""
    if lane.status is LaneStatus.streaming:
        raise Conflict("This lane is still answering; wait for it or stop it.", code="lane_busy")
    if hides_models(run):
        raise Conflict(
            "This comparison is blind: vote or reveal the models before continuing a lane.",
            code="run_not_revealed",
        )
    model_id = lane.model_id
    if model_id is not None:
        await usable_model(session, user, model_id)
    chat = ChatSession(
        user_id=user.id,
        title=title_from(run.prompt),
        model_id=model_id,
        system_prompt=run.system_prompt,
        parameters=dict(lane.parameters),
    )
    session.add(chat)
    await session.flush()
    question = ChatMessage(
        session_id=chat.id,
        parent_id=None,
        role=MessageRole.user,
        content=run.prompt,
        status=MessageStatus.complete,
    )
    session.add(question)
    await session.flush()
    answer = ChatMessage(
        session_id=chat.id,
        parent_id=question.id,
        role=MessageRole.assistant,
        content=lane.content,
        reasoning=lane.reasoning,
        status=MessageStatus(lane.status.value),
        error=lane.error,
        model_id=model_id,
        model_name=lane.model_name,
        provider_name=lane.provider_name,
        ttft_ms=lane.ttft_ms,
        latency_ms=lane.latency_ms,
        reasoning_ms=lane.reasoning_ms,
        input_tokens=lane.input_tokens,
        output_tokens=lane.output_tokens,
        tokens_estimated=lane.tokens_estimated,
        cost=lane.cost,
        finish_reason=lane.finish_reason,
    )
    session.add(answer)
    await session.flush()
    chat.active_leaf_id = answer.id
    touch(chat)
    await session.flush()
    return chat


async def mark_abandoned_lanes(session: AsyncSession, alive: Select[str] | None = None) -> int:
    """Lanes still 'streaming' whose process is not among `alive` (every one when None: the
    embedded server's start-up) lost their server; they were interrupted."""
    abandoned = CompareLane.status == LaneStatus.streaming
    if alive is not None:
        abandoned &= or_(CompareLane.streamed_by.is_(None), CompareLane.streamed_by.not_in(alive))
    result = await session.execute(
        update(CompareLane)
        .where(abandoned)
        .values(status=LaneStatus.interrupted, finish_reason="server_restart")
    )
    return int(getattr(result, "rowcount", 0) or 0)
