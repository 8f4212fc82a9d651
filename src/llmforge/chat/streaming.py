"""One answer, streamed: stored once when it ends, however it ends, never per token.

`start_turn` validates and stores the user's message and an answer placeholder in the
request's transaction; `stream_turn` then relays the model's events as SSE and saves the
answer in a transaction of its own: complete, with an error, or interrupted when the client
went away (the upstream request is closed at once). A save that finds the database
restarting is tried again until it is back (up to ANSWER_SAVE_WINDOW_SECONDS).
"""

from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass, field

import anyio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sse_starlette import ServerSentEvent

from llmforge.calls.answer import Answer, cost_of, sse_event, usage_entry
from llmforge.chat.context import fit_context
from llmforge.chat.models import ChatMessage, ChatSession, MessageRole, MessageStatus
from llmforge.chat.schemas import MessageRead
from llmforge.chat.service import MessageTree, session_messages, title_from, touch
from llmforge.core.cache import ReadCache
from llmforge.core.errors import DatabaseUnavailable, InvalidInput, NotFound
from llmforge.core.security import SecretBox
from llmforge.db import one_writer, retry_while_unreachable, write_transaction
from llmforge.dify.chat import chat_target
from llmforge.knowledge.grounding import Grounding, Knowledge, ground
from llmforge.liveness.service import this_process
from llmforge.llm import (
    ChatMessage as LLMMessage,
)
from llmforge.llm import (
    ChatRequest,
    Citations,
    ClientRegistry,
    LLMClient,
    Usage,
)
from llmforge.llm.tokens import estimate_usage
from llmforge.providers.models import Model, Provider
from llmforge.providers.schemas import ModelParameters
from llmforge.providers.service import client_for, usable_model
from llmforge.settings import Settings
from llmforge.usage.models import UsageSource
from llmforge.usage.quotas import cached_limits, ensure_within_budget
from llmforge.usage.recorder import UsageRecorder
from llmforge.users.models import User

ANSWER_SAVE_WINDOW_SECONDS = 30.0
"""How long saving an answer waits for a database that is restarting."""


@dataclass
class Turn:
    """Everything one answer needs, decided before the stream starts."""

    user_id: int
    model: Model
    provider: Provider
    client: LLMClient
    request: ChatRequest
    user_message: MessageRead | None
    answer_id: int
    omitted_messages: int
    grounding: Grounding = field(default_factory=Grounding)


@dataclass(frozen=True)
class TurnServices:
    """What the application provides to every turn."""

    settings: Settings
    box: SecretBox
    clients: ClientRegistry
    recorder: UsageRecorder
    factory: async_sessionmaker[AsyncSession]
    cache: ReadCache
    knowledge: Knowledge | None = None


@dataclass
class TurnSpec:
    parent_id: int | None
    user_content: str | None
    model_id: int | None


def _parameters(model: Model, chat: ChatSession) -> ModelParameters:
    return ModelParameters.model_validate({**model.parameters, **chat.parameters})


def _history(tree: MessageTree, parent_id: int | None) -> list[LLMMessage]:
    return [
        LLMMessage(role=message.role.value, content=message.content)
        for message in tree.path_to(parent_id)
        if message.content
    ]


async def _model_target(
    session: AsyncSession, user: User, model_id: int, services: TurnServices
) -> tuple[Model, Provider, LLMClient]:
    """A usable model with its client, from the read cache after the first turn with it
    (decrypting the provider's secret costs more than the look-up)."""

    async def load() -> tuple[Model, Provider, LLMClient]:
        model, provider = await usable_model(session, user, model_id)
        return model, provider, client_for(provider, services.box, services.clients)

    return await services.cache.get_or_load(("chat-model", user.id, model_id), load)


async def _target(
    session: AsyncSession, user: User, chat: ChatSession, spec: TurnSpec, services: TurnServices
) -> tuple[Model, Provider, LLMClient]:
    """The Dify app this chat talks to, or else the model chosen for this answer."""
    dify = await chat_target(session, user, chat, services.box, services.clients, services.factory)
    if dify is not None:
        return dify.model, dify.provider, dify.client
    model_id = spec.model_id or chat.model_id
    if model_id is None:
        raise InvalidInput("Choose a model for this chat first.", code="model_required")
    return await _model_target(session, user, model_id, services)


async def start_turn(
    session: AsyncSession,
    user: User,
    chat: ChatSession,
    spec: TurnSpec,
    services: TurnServices,
) -> Turn:
    model, provider, client = await _target(session, user, chat, spec, services)
    limits = await cached_limits(services.cache, session, services.settings, user.id)
    await ensure_within_budget(session, services.settings, services.recorder, user.id, limits)
    tree = MessageTree(await session_messages(session, chat))
    if spec.parent_id is not None and spec.parent_id not in tree.by_id:
        raise NotFound(f"Message {spec.parent_id} does not exist.", code="chat_message_not_found")
    history = _history(tree, spec.parent_id)
    if spec.user_content is not None:
        history.append(LLMMessage(role="user", content=spec.user_content))
    question = next((m.content for m in reversed(history) if m.role == "user"), None)
    grounding = await ground(session, user, chat.knowledge_base_ids, question, services.knowledge)
    system_prompt = grounding.system_prompt(chat.system_prompt)
    parameters = _parameters(model, chat)
    fitting, omitted = await fit_context(
        system_prompt, history, model.context_length, parameters.max_tokens
    )
    async with one_writer(session):  # written and committed before the stream starts
        user_message, answer = await _store_messages(
            session, chat, spec, model, provider, omitted, grounding
        )
        await session.commit()
    return Turn(
        user_id=user.id,
        model=model,
        provider=provider,
        client=client,
        request=_request(model, system_prompt, fitting, parameters),
        user_message=_read(user_message, tree) if user_message else None,
        answer_id=answer.id,
        omitted_messages=omitted,
        grounding=grounding,
    )


async def _store_messages(
    session: AsyncSession,
    chat: ChatSession,
    spec: TurnSpec,
    model: Model,
    provider: Provider,
    omitted: int,
    grounding: Grounding,
) -> tuple[ChatMessage | None, ChatMessage]:
    """The question and the answer's placeholder, each inserted once; the session's row is
    changed after both, so that one UPDATE carries its title, time and active leaf."""
    user_message = None
    if spec.user_content is not None:
        user_message = ChatMessage(
            session_id=chat.id,
            parent_id=spec.parent_id,
            role=MessageRole.user,
            content=spec.user_content,
            status=MessageStatus.complete,
        )
        session.add(user_message)
        await session.flush()
    answer = ChatMessage(
        session_id=chat.id,
        parent_id=user_message.id if user_message else spec.parent_id,
        role=MessageRole.assistant,
        status=MessageStatus.streaming,
        streamed_by=this_process(),
        model_id=model.id,
        model_name=model.display_name,
        provider_name=provider.name,
        omitted_messages=omitted,
        sources=grounding.stored_sources(),
    )
    session.add(answer)
    await session.flush()
    if spec.user_content is not None and not chat.title:
        chat.title = title_from(spec.user_content)
    chat.active_leaf_id = answer.id
    touch(chat)
    return user_message, answer


def _read(message: ChatMessage, tree: MessageTree) -> MessageRead:
    siblings = [m.id for m in tree.children[message.parent_id]] + [message.id]
    return MessageRead.model_validate(message).model_copy(update={"variant_ids": siblings})


def _request(
    model: Model, system_prompt: str, messages: list[LLMMessage], parameters: ModelParameters
) -> ChatRequest:
    system = [LLMMessage(role="system", content=system_prompt)] if system_prompt else []
    return ChatRequest(
        model=model.model_id,
        messages=(*system, *messages),
        temperature=parameters.temperature,
        top_p=parameters.top_p,
        max_tokens=parameters.max_tokens,
        presence_penalty=parameters.presence_penalty,
        frequency_penalty=parameters.frequency_penalty,
        stop=tuple(parameters.stop),
        reasoning_effort=parameters.reasoning_effort,
    )


async def _save(
    services: TurnServices, turn: Turn, answer: Answer, status: MessageStatus
) -> MessageRead:
    usage = answer.usage or await estimate_usage(turn.request.messages, answer.text)
    timings = answer.timings()
    services.recorder.record(
        usage_entry(
            user_id=turn.user_id,
            model=turn.model,
            provider=turn.provider,
            source=UsageSource.chat,
            usage=usage,
            timings=timings,
            status=status.value,
        )
    )
    return await retry_while_unreachable(
        lambda: _write(services, turn, answer, status, usage, timings),
        within=ANSWER_SAVE_WINDOW_SECONDS,
    )


async def _write(
    services: TurnServices,
    turn: Turn,
    answer: Answer,
    status: MessageStatus,
    usage: Usage,
    timings: dict[str, float | None],
) -> MessageRead:
    finish_reason = (
        "cancelled"
        if status is MessageStatus.interrupted
        else (answer.finish.reason if answer.finish else None)
    )
    async with write_transaction(services.factory) as session:
        message = await session.get_one(ChatMessage, turn.answer_id)
        message.content = answer.text
        message.reasoning = answer.reasoning_text
        if answer.citations is not None:  # what a Dify app answered from
            message.sources = answer.citations
        message.status = status
        message.error = (
            {"code": f"upstream_{answer.error.kind}", "message": answer.error.message}
            if answer.error
            else None
        )
        message.input_tokens, message.output_tokens = usage.input_tokens, usage.output_tokens
        message.tokens_estimated = usage.estimated
        message.cost = cost_of(turn.model, usage)
        message.finish_reason = finish_reason
        for name, value in timings.items():
            setattr(message, name, value)
        siblings = await session.scalars(
            select(ChatMessage.id)
            .where(
                ChatMessage.session_id == message.session_id,
                ChatMessage.parent_id == message.parent_id,
            )
            .order_by(ChatMessage.id)
        )
        return MessageRead.model_validate(message).model_copy(
            update={"variant_ids": list(siblings)}
        )


async def stream_turn(turn: Turn, services: TurnServices) -> AsyncIterator[ServerSentEvent]:
    answer = Answer()
    yield sse_event(
        "message",
        {
            "user_message": turn.user_message.model_dump(mode="json")
            if turn.user_message
            else None,
            "assistant_message_id": turn.answer_id,
        },
    )
    if turn.omitted_messages:
        yield sse_event("context", {"omitted_messages": turn.omitted_messages})
    if turn.grounding.sources is not None:
        yield sse_event("sources", {"sources": turn.grounding.stored_sources()})
    finished = False
    try:
        async with aclosing(turn.client.stream(turn.request)) as events:
            async for event in events:
                outgoing = answer.accept(event)
                if outgoing:
                    yield sse_event(*outgoing)
                elif isinstance(event, Citations):
                    yield sse_event("sources", {"sources": answer.citations})
        finished = True
    finally:
        if not finished:  # the client went away (or the server is stopping)
            with anyio.CancelScope(shield=True):
                await _save(services, turn, answer, MessageStatus.interrupted)
    status = MessageStatus.error if answer.failed else MessageStatus.complete
    try:
        saved = await _save(services, turn, answer, status)
    except DatabaseUnavailable as exc:  # it stayed away: the answer is lost, the client told
        yield sse_event("error", {"code": exc.code, "message": exc.message})
        return
    yield sse_event("done", {"message": saved.model_dump(mode="json")})
