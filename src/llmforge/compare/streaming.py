"""A comparison, streamed: every lane runs at once and one SSE stream multiplexes them.

`start_run` validates everything (models, context, quota) and stores the run with a
placeholder per lane in the request's transaction. `stream_run` then starts one task per lane;
each relays its model's events into a queue that the response reads, and saves its lane once
when it ends, in a transaction of its own: complete, with an error, or interrupted (stopped
alone, or with all the others when the client went away; the upstream request is closed at
once). One lane failing never disturbs the others.
"""

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Mapping
from contextlib import aclosing
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import anyio
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError
from sse_starlette import ServerSentEvent

from llmforge.calls.answer import Answer, cost_of, sse_event, usage_entry
from llmforge.chat.context import fit_context
from llmforge.chat.schemas import MAX_MESSAGE_CHARS
from llmforge.chat.streaming import ANSWER_SAVE_WINDOW_SECONDS, TurnServices
from llmforge.compare import service
from llmforge.compare.models import CompareLane, CompareRun, LaneStatus
from llmforge.compare.registry import LaneRegistry
from llmforge.compare.schemas import CompareCreate, CompareLaneRead, CompareRunRead
from llmforge.core.errors import DatabaseUnavailable, InvalidInput, NotFound
from llmforge.db import retry_while_unreachable, transaction
from llmforge.dify.chat import lane_target, remember_lanes
from llmforge.knowledge.grounding import check_kb_ids, ground
from llmforge.liveness.service import this_process
from llmforge.llm import ChatMessage as LLMMessage
from llmforge.llm import ChatRequest, LLMClient, Usage
from llmforge.llm.tokens import estimate_usage
from llmforge.prompts import service as prompts
from llmforge.providers.models import Model, Provider
from llmforge.providers.schemas import ModelParameters
from llmforge.providers.service import client_for, usable_model
from llmforge.usage.models import UsageSource
from llmforge.usage.quotas import ensure_within_budget
from llmforge.users.models import User

logger = logging.getLogger("llmforge.compare")

COST_PLACES = Decimal("1e-8")
CallServices = TurnServices
"""Settings, secrets, clients, usage recorder and session factory: what chat turns use too."""


@dataclass(frozen=True)
class LaneSpec:
    model_id: int | None
    """None when a rerun lane's model was deleted since."""
    parameters: ModelParameters
    dify_app_id: int | None = None
    """A Dify app answers this lane instead of a model."""


@dataclass(frozen=True)
class RunSpec:
    prompt: str
    system_prompt: str
    blind: bool
    lanes: list[LaneSpec]
    knowledge_base_ids: list[int] = field(default_factory=list)


@dataclass
class LaneCall:
    lane_id: int
    model: Model
    provider: Provider
    client: LLMClient
    request: ChatRequest


@dataclass
class RunCall:
    """Everything the stream needs, decided before it starts."""

    run_id: int
    user_id: int
    read: CompareRunRead
    lanes: list[LaneCall]


async def spec_from_request(session: AsyncSession, user: User, data: CompareCreate) -> RunSpec:
    if data.template is not None:
        template = await prompts.get_visible(session, user, data.template.template_id)
        prompt = prompts.render(template, data.template.values).strip()
    else:
        prompt = data.prompt or ""
    return RunSpec(
        prompt=prompt,
        system_prompt=data.system_prompt,
        blind=data.blind,
        lanes=[LaneSpec(lane.model_id, lane.parameters, lane.dify_app_id) for lane in data.lanes],
        knowledge_base_ids=await check_kb_ids(session, user, data.knowledge_base_ids),
    )


def spec_from_run(
    run: CompareRun, lanes: list[CompareLane], dify_apps: Mapping[int, int | None]
) -> RunSpec:
    """`dify_apps`: the Dify app of each lane a Dify app answered, by lane id."""
    return RunSpec(
        prompt=run.prompt,
        system_prompt=run.system_prompt,
        blind=run.blind,
        knowledge_base_ids=list(run.knowledge_base_ids),
        lanes=[
            LaneSpec(
                lane.model_id,
                ModelParameters.model_validate(lane.parameters),
                dify_apps.get(lane.id),
            )
            for lane in lanes
        ],
    )


def _request(
    model: Model, system_prompt: str, prompt: str, parameters: ModelParameters
) -> ChatRequest:
    system = [LLMMessage(role="system", content=system_prompt)] if system_prompt else []
    return ChatRequest(
        model=model.model_id,
        messages=(*system, LLMMessage(role="user", content=prompt)),
        temperature=parameters.temperature,
        top_p=parameters.top_p,
        max_tokens=parameters.max_tokens,
        presence_penalty=parameters.presence_penalty,
        frequency_penalty=parameters.frequency_penalty,
        stop=tuple(parameters.stop),
        reasoning_effort=parameters.reasoning_effort,
    )


async def _lane_model(
    session: AsyncSession, user: User, spec: LaneSpec, number: int
) -> tuple[Model, Provider]:
    if spec.model_id is None:
        raise NotFound(
            f"The model of lane {number} no longer exists.",
            code="model_not_found",
            details={"lane": number},
        )
    model, provider = await usable_model(session, user, spec.model_id)
    if "chat" not in model.capabilities:
        raise InvalidInput(
            f"Model {spec.model_id} ({model.display_name}) cannot chat.",
            code="model_cannot_chat",
            details={"lane": number, "model_id": spec.model_id},
        )
    return model, provider


async def _lane_target(
    session: AsyncSession, user: User, spec: LaneSpec, number: int, services: CallServices
) -> tuple[Model, Provider, LLMClient]:
    if spec.dify_app_id is not None:
        dify = await lane_target(session, user, spec.dify_app_id, services.box, services.clients)
        return dify.model, dify.provider, dify.client
    model, provider = await _lane_model(session, user, spec, number)
    return model, provider, client_for(provider, services.box, services.clients)


async def start_run(
    session: AsyncSession, user: User, spec: RunSpec, services: CallServices
) -> RunCall:
    """Check everything before anything is stored or any model is called."""
    if not spec.prompt.strip():
        raise InvalidInput("The prompt is empty.", code="empty_prompt")
    if len(spec.prompt) > MAX_MESSAGE_CHARS:
        raise InvalidInput(
            f"The prompt is {len(spec.prompt):,} characters; the limit is {MAX_MESSAGE_CHARS:,}.",
            code="prompt_too_long",
        )
    chosen = [
        await _lane_target(session, user, lane, number, services)
        for number, lane in enumerate(spec.lanes, start=1)
    ]
    parameters = [
        ModelParameters.model_validate(
            {**model.parameters, **lane.parameters.model_dump(exclude_defaults=True)}
        )
        for lane, (model, _, _) in zip(spec.lanes, chosen, strict=True)
    ]
    grounding = await ground(
        session, user, spec.knowledge_base_ids, spec.prompt, services.knowledge
    )
    system_prompt = grounding.system_prompt(spec.system_prompt)
    question = [LLMMessage(role="user", content=spec.prompt)]
    checked: set[tuple[int | None, int | None]] = set()
    for (model, _, _), merged in zip(chosen, parameters, strict=True):
        if (model.context_length, merged.max_tokens) not in checked:
            await fit_context(system_prompt, question, model.context_length, merged.max_tokens)
            checked.add((model.context_length, merged.max_tokens))
    await ensure_within_budget(session, services.settings, services.recorder, user.id)

    run = CompareRun(
        user_id=user.id,
        prompt=spec.prompt,
        system_prompt=spec.system_prompt,
        blind=spec.blind,
        knowledge_base_ids=spec.knowledge_base_ids,
        sources=grounding.stored_sources(),
    )
    session.add(run)
    await session.flush()
    positions = list(range(len(spec.lanes)))
    if spec.blind:  # the order the models were picked in would give them away
        secrets.SystemRandom().shuffle(positions)
    lanes = [
        CompareLane(
            run_id=run.id,
            position=position,
            model_id=model.id,
            model_name=model.display_name,
            provider_name=provider.name,
            parameters=lane.parameters.model_dump(exclude_defaults=True),
            status=LaneStatus.streaming,
            streamed_by=this_process(),
        )
        for position, lane, (model, provider, _) in zip(positions, spec.lanes, chosen, strict=True)
    ]
    session.add_all(lanes)
    await session.flush()
    answered_by = [lane.dify_app_id for lane in spec.lanes]
    await remember_lanes(
        session, [(lane.id, app) for lane, app in zip(lanes, answered_by, strict=True)]
    )
    calls = [
        LaneCall(
            lane_id=lane.id,
            model=model,
            provider=provider,
            client=client,
            request=_request(model, system_prompt, spec.prompt, merged),
        )
        for lane, (model, provider, client), merged in zip(lanes, chosen, parameters, strict=True)
    ]
    ordered = sorted(lanes, key=lambda lane: lane.position)
    return RunCall(run_id=run.id, user_id=user.id, read=service.run_read(run, ordered), lanes=calls)


def tokens_per_second(output_tokens: int, timings: dict[str, float | None]) -> float | None:
    """Output tokens over the generation time after the first token."""
    ttft, latency = timings["ttft_ms"], timings["latency_ms"]
    if not output_tokens or ttft is None or latency is None or latency <= ttft:
        return None
    return round(output_tokens / ((latency - ttft) / 1000), 1)


async def _save_lane(
    services: CallServices,
    run: RunCall,
    call: LaneCall,
    answer: Answer,
    status: LaneStatus,
    failure: dict[str, Any] | None,
) -> CompareLaneRead | None:
    timings = answer.timings()
    usage = answer.usage or await estimate_usage(call.request.messages, answer.text)
    services.recorder.record(
        usage_entry(
            user_id=run.user_id,
            model=call.model,
            provider=call.provider,
            source=UsageSource.compare,
            usage=usage,
            timings=timings,
            status=status.value,
        )
    )
    return await retry_while_unreachable(
        lambda: _write_lane(services, run, call, answer, status, failure, usage, timings),
        within=ANSWER_SAVE_WINDOW_SECONDS,
    )


async def _write_lane(
    services: CallServices,
    run: RunCall,
    call: LaneCall,
    answer: Answer,
    status: LaneStatus,
    failure: dict[str, Any] | None,
    usage: Usage,
    timings: dict[str, float | None],
) -> CompareLaneRead | None:
    content = answer.text
    if answer.error:
        failure = {"code": f"upstream_{answer.error.kind}", "message": answer.error.message}
    async with transaction(services.factory) as session:
        lane = await session.get(CompareLane, call.lane_id)
        owner = await session.get(CompareRun, run.run_id)
        if lane is None or owner is None:  # the run was deleted while it streamed
            return None
        lane.content, lane.reasoning, lane.status = content, answer.reasoning_text, status
        lane.error = failure
        lane.input_tokens, lane.output_tokens = usage.input_tokens, usage.output_tokens
        lane.tokens_estimated = usage.estimated
        cost = cost_of(call.model, usage)
        lane.cost = cost.quantize(COST_PLACES) if cost is not None else None  # as stored
        lane.finish_reason = (
            "cancelled"
            if status is LaneStatus.interrupted
            else (answer.finish.reason if answer.finish else None)
        )
        for name, value in timings.items():
            setattr(lane, name, value)
        lane.tokens_per_second = tokens_per_second(usage.output_tokens, timings)
        await session.flush()
        return service.lane_read(lane, owner)


async def _run_lane(
    run: RunCall,
    call: LaneCall,
    scope: anyio.CancelScope,
    services: CallServices,
    registry: LaneRegistry,
    queue: "asyncio.Queue[ServerSentEvent | None]",
) -> None:
    """Stream one lane into the queue, then save it; always ends with None in the queue."""
    answer = Answer()
    status, failure = LaneStatus.interrupted, None
    try:
        with scope:  # cancelled by a stop (this lane or all) or by the client going away
            try:
                async with aclosing(call.client.stream(call.request)) as events:
                    async for event in events:
                        outgoing = answer.accept(event)
                        if outgoing:
                            name, data = outgoing
                            queue.put_nowait(sse_event(name, {"lane_id": call.lane_id, **data}))
                status = LaneStatus.error if answer.failed else LaneStatus.complete
            except Exception:
                logger.exception("compare lane %s failed", call.lane_id)
                status = LaneStatus.error
                failure = {"code": "internal_error", "message": "This lane failed on the server."}
                queue.put_nowait(sse_event("error", {"lane_id": call.lane_id, **failure}))
        with anyio.CancelScope(shield=True):
            try:
                saved = await _save_lane(services, run, call, answer, status, failure)
            except StaleDataError:  # deleted with its run between reading and writing it
                saved = None
        if saved is not None:
            queue.put_nowait(sse_event("lane_done", {"lane": saved.model_dump(mode="json")}))
    except DatabaseUnavailable as exc:
        unsaved = {"code": exc.code, "message": exc.message}
        queue.put_nowait(sse_event("error", {"lane_id": call.lane_id, **unsaved}))
    except Exception:
        logger.exception("could not save compare lane %s", call.lane_id)
    finally:
        registry.forget(run.run_id, call.lane_id)
        queue.put_nowait(None)


async def _stored_run(services: CallServices, run_id: int) -> CompareRunRead | None:
    async with transaction(services.factory) as session:
        run = await session.get(CompareRun, run_id)
        return await service.read(session, run) if run is not None else None


async def stream_run(
    run: RunCall, services: CallServices, registry: LaneRegistry
) -> AsyncIterator[ServerSentEvent]:
    """Events: `run`, then per lane `reasoning`, `content`, `usage`, `error` (each with its
    `lane_id`) and `lane_done` with the stored lane; finally `done` with the stored run."""
    queue: asyncio.Queue[ServerSentEvent | None] = asyncio.Queue()
    scopes = {call.lane_id: anyio.CancelScope() for call in run.lanes}
    for lane_id, scope in scopes.items():
        registry.track(run.run_id, lane_id, scope)
    tasks = [
        asyncio.create_task(
            _run_lane(run, call, scopes[call.lane_id], services, registry, queue),
            name=f"compare-{run.run_id}-lane-{call.lane_id}",
        )
        for call in run.lanes
    ]
    finished = False
    try:
        yield sse_event("run", {"run": run.read.model_dump(mode="json")})
        running = len(tasks)
        while running:
            item = await queue.get()
            if item is None:
                running -= 1
            else:
                yield item
        finished = True
    finally:
        if not finished:  # the client went away (or the server is stopping): stop every lane
            for scope in scopes.values():
                scope.cancel()
        with anyio.CancelScope(shield=True):
            await asyncio.gather(*tasks, return_exceptions=True)
    stored = await _stored_run(services, run.run_id)
    yield sse_event("done", {"run": stored.model_dump(mode="json") if stored else None})
