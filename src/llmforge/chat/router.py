from typing import Annotated, Any

from fastapi import Depends, Query, Request, status
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession
from sse_starlette import EventSourceResponse

from llmforge.auth.deps import CurrentUser
from llmforge.chat import service, streaming
from llmforge.chat.models import ChatSession, MessageRole
from llmforge.chat.schemas import (
    EditMessage,
    ExportFormat,
    Regenerate,
    SendMessage,
    SessionCreate,
    SessionDetail,
    SessionRead,
    SessionUpdate,
    SwitchVariant,
)
from llmforge.core.errors import InvalidInput
from llmforge.core.ids import RowId
from llmforge.core.routing import CapabilityRouter
from llmforge.db import SessionDep
from llmforge.knowledge.grounding import Knowledge

router = CapabilityRouter(prefix="/api/chat", tags=["chat"])


async def turn_services(request: Request) -> streaming.TurnServices:
    state = request.app.state
    return streaming.TurnServices(
        settings=state.settings,
        box=state.secret_box,
        clients=state.llm_clients,
        recorder=state.usage_recorder,
        factory=state.session_factory,
        cache=state.read_cache,
        knowledge=Knowledge(state.knowledge_services, state.vector_store),
    )


TurnServicesDep = Annotated[streaming.TurnServices, Depends(turn_services)]

SSE_PING_SECONDS = 15
STREAM_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events"}
}


@router.get("/sessions")
async def list_sessions(
    user: CurrentUser,
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=200, description="title or content contains")] = None,
) -> list[SessionRead]:
    return [
        SessionRead.model_validate(chat) for chat in await service.list_sessions(session, user, q)
    ]


@router.post("/sessions", status_code=status.HTTP_201_CREATED)
async def create_session(
    data: SessionCreate, user: CurrentUser, session: SessionDep
) -> SessionRead:
    return SessionRead.model_validate(await service.create_session(session, user, data))


async def _detail(session: AsyncSession, chat: ChatSession) -> SessionDetail:
    branch = await service.active_branch(session, chat)
    return SessionDetail.model_validate(
        {**SessionRead.model_validate(chat).model_dump(), "messages": branch}
    )


@router.get("/sessions/{session_id}")
async def get_session(session_id: RowId, user: CurrentUser, session: SessionDep) -> SessionDetail:
    return await _detail(session, await service.owned_session(session, user, session_id))


@router.patch("/sessions/{session_id}")
async def update_session(
    session_id: RowId, changes: SessionUpdate, user: CurrentUser, session: SessionDep
) -> SessionRead:
    chat = await service.owned_session(session, user, session_id)
    return SessionRead.model_validate(await service.update_session(session, user, chat, changes))


@router.delete("/sessions/{session_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_session(session_id: RowId, user: CurrentUser, session: SessionDep) -> None:
    await service.delete_session(session, await service.owned_session(session, user, session_id))


@router.get("/sessions/{session_id}/export", response_class=Response)
async def export_session(
    session_id: RowId, user: CurrentUser, session: SessionDep, format: ExportFormat = "markdown"
) -> Response:
    chat = await service.owned_session(session, user, session_id)
    branch = await service.active_branch(session, chat)
    extension = "md" if format == "markdown" else "json"
    headers = {
        "Content-Disposition": f'attachment; filename="{service.export_filename(chat, extension)}"'
    }
    if format == "json":
        return JSONResponse(service.export_json(chat, branch), headers=headers)
    return PlainTextResponse(
        service.export_markdown(chat, branch), media_type="text/markdown", headers=headers
    )


@router.post("/sessions/{session_id}/switch")
async def switch_variant(
    session_id: RowId, body: SwitchVariant, user: CurrentUser, session: SessionDep
) -> SessionDetail:
    chat = await service.owned_session(session, user, session_id)
    await service.switch_variant(session, chat, body.message_id)
    return await _detail(session, chat)


@router.post("/sessions/{session_id}/messages", responses=STREAM_RESPONSE)
async def send_message(
    session_id: RowId,
    body: SendMessage,
    user: CurrentUser,
    session: SessionDep,
    services: TurnServicesDep,
) -> EventSourceResponse:
    """Stream the answer as Server-Sent Events: `message` (stored ids), `context`, `reasoning`,
    `content`, `usage`, `error`, and finally `done` with the stored answer. A chat with knowledge
    bases also sends `sources` (the numbered passages given to the model) before the answer."""
    chat = await service.owned_session(session, user, session_id)
    parent_id = body.parent_id if body.parent_id is not None else chat.active_leaf_id
    spec = streaming.TurnSpec(
        parent_id=parent_id, user_content=body.content, model_id=body.model_id
    )
    turn = await streaming.start_turn(session, user, chat, spec, services)
    return EventSourceResponse(streaming.stream_turn(turn, services), ping=SSE_PING_SECONDS)


@router.post("/messages/{message_id}/regenerate", responses=STREAM_RESPONSE)
async def regenerate(
    message_id: RowId,
    body: Regenerate,
    user: CurrentUser,
    session: SessionDep,
    services: TurnServicesDep,
) -> EventSourceResponse:
    """Answer the same question again (optionally with another model); the earlier answers stay
    as variants."""
    message, chat = await service.owned_message(session, user, message_id)
    if message.role is not MessageRole.assistant:
        raise InvalidInput("Only an answer can be regenerated.", code="not_an_answer")
    spec = streaming.TurnSpec(
        parent_id=message.parent_id, user_content=None, model_id=body.model_id or message.model_id
    )
    turn = await streaming.start_turn(session, user, chat, spec, services)
    return EventSourceResponse(streaming.stream_turn(turn, services), ping=SSE_PING_SECONDS)


@router.post("/messages/{message_id}/edit", responses=STREAM_RESPONSE)
async def edit_and_resend(
    message_id: RowId,
    body: EditMessage,
    user: CurrentUser,
    session: SessionDep,
    services: TurnServicesDep,
) -> EventSourceResponse:
    """Send an edited version of one of your messages; the conversation continues from it and
    the earlier branch stays as a variant."""
    message, chat = await service.owned_message(session, user, message_id)
    if message.role is not MessageRole.user:
        raise InvalidInput("Only your own messages can be edited.", code="not_a_user_message")
    spec = streaming.TurnSpec(parent_id=message.parent_id, user_content=body.content, model_id=None)
    turn = await streaming.start_turn(session, user, chat, spec, services)
    return EventSourceResponse(streaming.stream_turn(turn, services), ping=SSE_PING_SECONDS)


@router.delete("/messages/{message_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_message(message_id: RowId, user: CurrentUser, session: SessionDep) -> None:
    message, chat = await service.owned_message(session, user, message_id)
    await service.delete_message(session, chat, message)
