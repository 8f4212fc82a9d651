from typing import Annotated

from fastapi import Path, status

from llmforge.audit import service as audit
from llmforge.auth.deps import CurrentUser
from llmforge.chat import service as chats
from llmforge.chat.schemas import SessionRead
from llmforge.core.client import ClientDep
from llmforge.core.deps import LLMClientsDep, SecretBoxDep, SettingsDep
from llmforge.core.errors import NotFound
from llmforge.core.outbound import check_outbound_url
from llmforge.core.routing import CapabilityRouter
from llmforge.db import SessionDep
from llmforge.dify import chat, service
from llmforge.dify.models import DifyChatSession
from llmforge.dify.schemas import (
    DifyAppCreate,
    DifyAppRead,
    DifyAppUpdate,
    DifyChatCreate,
    DifyChatRead,
)
from llmforge.providers.schemas import ConnectionTestResult

router = CapabilityRouter(prefix="/api/dify-apps", tags=["dify"])
AppId = Annotated[int, Path(ge=1, le=2**31 - 1)]
ChatId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("")
async def list_apps(user: CurrentUser, session: SessionDep) -> list[DifyAppRead]:
    """Your apps and the apps shared with everyone (admins see every app)."""
    return [service.app_read(app, user) for app in await service.list_apps(session, user)]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_app(
    data: DifyAppCreate,
    user: CurrentUser,
    session: SessionDep,
    box: SecretBoxDep,
    client: ClientDep,
    settings: SettingsDep,
) -> DifyAppRead:
    await check_outbound_url(str(data.base_url), settings)
    app = await service.create_app(session, box, user, data)
    await audit.record(
        session,
        "dify_app.create",
        actor=user,
        client=client,
        target_type="dify_app",
        target_id=str(app.id),
        detail={"name": app.name, "base_url": app.base_url, "app_type": app.app_type.value},
    )
    return service.app_read(app, user)


@router.get("/{app_id}")
async def get_app(app_id: AppId, user: CurrentUser, session: SessionDep) -> DifyAppRead:
    return service.app_read(await service.visible_app(session, user, app_id), user)


@router.patch("/{app_id}")
async def update_app(
    app_id: AppId,
    changes: DifyAppUpdate,
    user: CurrentUser,
    session: SessionDep,
    box: SecretBoxDep,
    clients: LLMClientsDep,
    client: ClientDep,
    settings: SettingsDep,
) -> DifyAppRead:
    app = await service.editable_app(session, user, app_id)
    if changes.base_url:
        await check_outbound_url(str(changes.base_url), settings)
    changed = await service.update_app(session, box, user, app, changes)
    if changed:
        await clients.release(f"dify-{app.id}")
        await audit.record(
            session,
            "dify_app.update",
            actor=user,
            client=client,
            target_type="dify_app",
            target_id=str(app.id),
            detail=changed,
        )
    return service.app_read(app, user)


@router.delete("/{app_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_app(
    app_id: AppId,
    user: CurrentUser,
    session: SessionDep,
    clients: LLMClientsDep,
    client: ClientDep,
) -> None:
    app = await service.editable_app(session, user, app_id)
    name = app.name
    await service.delete_app(session, app)
    await clients.release(f"dify-{app_id}")
    await audit.record(
        session,
        "dify_app.delete",
        actor=user,
        client=client,
        target_type="dify_app",
        target_id=str(app_id),
        detail={"name": name},
    )


@router.post("/{app_id}/test")
async def test_connection(
    app_id: AppId,
    user: CurrentUser,
    session: SessionDep,
    box: SecretBoxDep,
    clients: LLMClientsDep,
    settings: SettingsDep,
) -> ConnectionTestResult:
    """Check the key against Dify (GET /info) and that the app is of the registered type."""
    app = await service.visible_app(session, user, app_id)
    await check_outbound_url(app.base_url, settings)
    return await service.test_connection(
        session, app, service.client_for(app, box, clients, user_id=user.id)
    )


@router.post("/{app_id}/chat-sessions", status_code=status.HTTP_201_CREATED)
async def create_chat(
    app_id: AppId, data: DifyChatCreate, user: CurrentUser, session: SessionDep
) -> SessionRead:
    """A chat session that talks to this app; send messages through /api/chat as usual."""
    app = await service.usable_app(session, user, app_id)
    created, _ = await chat.create_chat(session, user, app, data)
    return SessionRead.model_validate(created)


@router.get("/chat-sessions/{session_id}")
async def get_chat(session_id: ChatId, user: CurrentUser, session: SessionDep) -> DifyChatRead:
    """The Dify app a chat session talks to (404 for a chat with a model)."""
    owned = await chats.owned_session(session, user, session_id)
    link = await session.get(DifyChatSession, owned.id)
    if link is None:
        raise NotFound(
            f"Chat session {session_id} does not talk to a Dify app.", code="dify_chat_not_found"
        )
    app = await service.visible_app(session, user, link.app_id)
    return chat.chat_read(link, app)
