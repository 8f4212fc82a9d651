"""Chat sessions and comparison lanes answered by a Dify app: the same turn and lane machinery
as models, with a Dify client in place of a provider's and Dify's conversation kept."""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from llmforge.chat.models import ChatSession
from llmforge.compare.models import CompareLane
from llmforge.core.security import SecretBox
from llmforge.db import transaction
from llmforge.dify import service
from llmforge.dify.client import ConversationHook, DifyClient
from llmforge.dify.models import DifyApp, DifyChatSession, DifyCompareLane
from llmforge.dify.schemas import DifyChatCreate, DifyChatRead
from llmforge.llm.clients import ClientRegistry
from llmforge.providers.models import Model, Provider
from llmforge.users.models import User

PROVIDER_NAME = "dify"


@dataclass(frozen=True)
class DifyTarget:
    """What a turn or lane needs: a model and provider as usage and messages name them
    (unsaved stand-ins: the app's name, provider "dify", no prices), and the client."""

    model: Model
    provider: Provider
    client: DifyClient


def stand_ins(app: DifyApp) -> tuple[Model, Provider]:
    model = Model(model_id=app.name, display_name=app.name, parameters={}, capabilities=["chat"])
    return model, Provider(name=PROVIDER_NAME)


async def create_chat(
    session: AsyncSession, user: User, app: DifyApp, data: DifyChatCreate
) -> tuple[ChatSession, DifyChatSession]:
    chat = ChatSession(user_id=user.id, title=data.title or "", system_prompt="", parameters={})
    session.add(chat)
    await session.flush()
    link = DifyChatSession(chat_session_id=chat.id, app_id=app.id, conversation_id="")
    session.add(link)
    await session.flush()
    return chat, link


def chat_read(link: DifyChatSession, app: DifyApp) -> DifyChatRead:
    return DifyChatRead(
        chat_session_id=link.chat_session_id,
        app_id=app.id,
        app_name=app.name,
        app_type=app.app_type,
        conversation_id=link.conversation_id,
    )


def _conversation_saver(
    factory: async_sessionmaker[AsyncSession], chat_id: int
) -> ConversationHook:
    async def save(conversation_id: str) -> None:
        async with transaction(factory) as session:
            link = await session.get(DifyChatSession, chat_id)
            if link is not None:  # the chat may have been deleted while it streamed
                link.conversation_id = conversation_id

    return save


async def chat_target(
    session: AsyncSession,
    user: User,
    chat: ChatSession,
    box: SecretBox,
    clients: ClientRegistry,
    factory: async_sessionmaker[AsyncSession],
) -> DifyTarget | None:
    """The Dify app this chat talks to (None for a chat with a model)."""
    link = await session.get(DifyChatSession, chat.id)
    if link is None:
        return None
    app = await service.usable_app(session, user, link.app_id)
    service.mark_used(app)
    client = service.client_for(
        app,
        box,
        clients,
        user_id=user.id,
        conversation_id=link.conversation_id,
        on_conversation=_conversation_saver(factory, chat.id),
    )
    return DifyTarget(*stand_ins(app), client)


async def lane_target(
    session: AsyncSession, user: User, app_id: int, box: SecretBox, clients: ClientRegistry
) -> DifyTarget:
    """A comparison lane: one question, a fresh Dify conversation."""
    app = await service.usable_app(session, user, app_id)
    service.mark_used(app)
    return DifyTarget(*stand_ins(app), service.client_for(app, box, clients, user_id=user.id))


async def remember_lanes(session: AsyncSession, lanes: Sequence[tuple[int, int | None]]) -> None:
    """Note which lanes (lane id, Dify app id or None) a Dify app answers."""
    session.add_all(
        DifyCompareLane(lane_id=lane_id, app_id=app_id) for lane_id, app_id in lanes if app_id
    )
    await session.flush()


async def lane_apps(session: AsyncSession, lanes: Sequence[CompareLane]) -> dict[int, int | None]:
    """The Dify app of each of these lanes that a Dify app answered (None once deleted)."""
    rows = await session.execute(
        select(DifyCompareLane.lane_id, DifyCompareLane.app_id).where(
            DifyCompareLane.lane_id.in_([lane.id for lane in lanes])
        )
    )
    return {lane_id: app_id for lane_id, app_id in rows.all()}
