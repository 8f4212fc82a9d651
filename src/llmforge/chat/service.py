"""Chat sessions and their message trees: branches, variants, search, export."""

import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from llmforge.chat.models import ChatMessage, ChatSession, MessageStatus
from llmforge.chat.schemas import MessageRead, SessionCreate, SessionUpdate
from llmforge.core.errors import NotFound
from llmforge.db import utcnow
from llmforge.knowledge.grounding import check_kb_ids
from llmforge.providers.service import usable_model
from llmforge.users.models import User

TITLE_LENGTH = 60


async def list_sessions(session: AsyncSession, user: User, query: str | None) -> list[ChatSession]:
    statement = select(ChatSession).where(ChatSession.user_id == user.id)
    if query and query.strip():
        needle = query.strip().lower()
        in_messages = exists().where(
            ChatMessage.session_id == ChatSession.id,
            func.lower(ChatMessage.content).contains(needle, autoescape=True),
        )
        statement = statement.where(
            or_(func.lower(ChatSession.title).contains(needle, autoescape=True), in_messages)
        )
    rows = await session.scalars(
        statement.order_by(ChatSession.pinned.desc(), ChatSession.last_message_at.desc())
    )
    return list(rows)


async def owned_session(session: AsyncSession, user: User, chat_id: int) -> ChatSession:
    chat = await session.get(ChatSession, chat_id)
    if chat is None or chat.user_id != user.id:
        raise NotFound(f"Chat session {chat_id} does not exist.", code="chat_session_not_found")
    return chat


async def owned_message(
    session: AsyncSession, user: User, message_id: int
) -> tuple[ChatMessage, ChatSession]:
    row = (
        await session.execute(
            select(ChatMessage, ChatSession)
            .join(ChatSession)
            .where(ChatMessage.id == message_id, ChatSession.user_id == user.id)
        )
    ).first()
    if row is None:
        raise NotFound(f"Message {message_id} does not exist.", code="chat_message_not_found")
    message, chat = row
    return message, chat


async def create_session(session: AsyncSession, user: User, data: SessionCreate) -> ChatSession:
    if data.model_id is not None:
        await usable_model(session, user, data.model_id)
    chat = ChatSession(
        user_id=user.id,
        title=data.title or "",
        model_id=data.model_id,
        system_prompt=data.system_prompt,
        parameters=data.parameters.model_dump(exclude_defaults=True),
        knowledge_base_ids=await check_kb_ids(session, user, data.knowledge_base_ids),
    )
    session.add(chat)
    await session.flush()
    return chat


async def update_session(
    session: AsyncSession, user: User, chat: ChatSession, changes: SessionUpdate
) -> ChatSession:
    fields = changes.model_dump(exclude_unset=True, exclude_none=True)
    if "model_id" in fields:
        await usable_model(session, user, fields["model_id"])
    if changes.parameters is not None:
        fields["parameters"] = changes.parameters.model_dump(exclude_defaults=True)
    if changes.knowledge_base_ids is not None:
        fields["knowledge_base_ids"] = await check_kb_ids(session, user, changes.knowledge_base_ids)
    for name, value in fields.items():
        setattr(chat, name, value)
    await session.flush()
    return chat


async def delete_session(session: AsyncSession, chat: ChatSession) -> None:
    await session.delete(chat)
    await session.flush()


def title_from(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= TITLE_LENGTH else line[: TITLE_LENGTH - 1].rstrip() + "…"


async def session_messages(session: AsyncSession, chat: ChatSession) -> list[ChatMessage]:
    rows = await session.scalars(
        select(ChatMessage).where(ChatMessage.session_id == chat.id).order_by(ChatMessage.id)
    )
    return list(rows)


class MessageTree:
    """The messages of one session, indexed for branch walking (loaded with one query)."""

    def __init__(self, messages: Iterable[ChatMessage]) -> None:
        self.by_id = {message.id: message for message in messages}
        self.children: dict[int | None, list[ChatMessage]] = defaultdict(list)
        for message in sorted(self.by_id.values(), key=lambda m: m.id):
            self.children[message.parent_id].append(message)

    def path_to(self, leaf_id: int | None) -> list[ChatMessage]:
        path: list[ChatMessage] = []
        current = self.by_id.get(leaf_id) if leaf_id is not None else None
        while current is not None:
            path.append(current)
            current = self.by_id.get(current.parent_id) if current.parent_id else None
        return path[::-1]

    def newest_leaf_under(self, message_id: int | None) -> int | None:
        """Follow the newest child at every step: where a branch continues."""
        current = message_id
        while self.children.get(current):
            current = self.children[current][-1].id
        return current

    def variant_ids(self, message: ChatMessage) -> list[int]:
        return [sibling.id for sibling in self.children[message.parent_id]]

    def read(self, message: ChatMessage) -> MessageRead:
        return MessageRead.model_validate(message).model_copy(
            update={"variant_ids": self.variant_ids(message)}
        )


async def active_branch(session: AsyncSession, chat: ChatSession) -> list[MessageRead]:
    tree = MessageTree(await session_messages(session, chat))
    return [tree.read(message) for message in tree.path_to(chat.active_leaf_id)]


async def switch_variant(session: AsyncSession, chat: ChatSession, message_id: int) -> None:
    tree = MessageTree(await session_messages(session, chat))
    if message_id not in tree.by_id:
        raise NotFound(f"Message {message_id} does not exist.", code="chat_message_not_found")
    chat.active_leaf_id = tree.newest_leaf_under(message_id)
    await session.flush()


async def delete_message(session: AsyncSession, chat: ChatSession, message: ChatMessage) -> None:
    """Delete a message with everything that followed it; the view moves to what remains."""
    parent_id = message.parent_id
    await session.delete(message)
    await session.flush()
    tree = MessageTree(await session_messages(session, chat))
    if chat.active_leaf_id not in tree.by_id:
        chat.active_leaf_id = tree.newest_leaf_under(parent_id)
    await session.flush()


async def mark_abandoned_streams(session: AsyncSession, alive: Select[str] | None = None) -> int:
    """Answers still 'streaming' whose process is not among `alive` (every one when None: the
    embedded server's start-up) lost their server; they were interrupted."""
    abandoned = ChatMessage.status == MessageStatus.streaming
    if alive is not None:
        abandoned &= or_(ChatMessage.streamed_by.is_(None), ChatMessage.streamed_by.not_in(alive))
    result = await session.execute(
        update(ChatMessage)
        .where(abandoned)
        .values(status=MessageStatus.interrupted, finish_reason="server_restart")
    )
    return int(getattr(result, "rowcount", 0) or 0)


def export_json(chat: ChatSession, branch: list[MessageRead]) -> dict[str, Any]:
    return {
        "title": chat.title,
        "system_prompt": chat.system_prompt,
        "parameters": chat.parameters,
        "created_at": chat.created_at.isoformat(),
        "messages": [
            message.model_dump(mode="json", exclude={"variant_ids"}) for message in branch
        ],
    }


def export_markdown(chat: ChatSession, branch: list[MessageRead]) -> str:
    lines = [f"# {chat.title or 'Chat'}", ""]
    if chat.system_prompt:
        lines += ["> **System:** " + chat.system_prompt.replace("\n", "\n> "), ""]
    for message in branch:
        who = "You" if message.role == "user" else (message.model_name or "Assistant")
        lines += [f"## {who}", ""]
        if message.reasoning:
            lines += [
                "<details><summary>Thinking</summary>",
                "",
                message.reasoning,
                "",
                "</details>",
                "",
            ]
        lines += [message.content, ""]
    return "\n".join(lines)


def export_filename(chat: ChatSession, extension: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in (chat.title or "chat"))[:50]
    return f"{safe.strip('-') or 'chat'}-{chat.id}.{extension}"


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


def touch(chat: ChatSession) -> None:
    chat.last_message_at = utcnow()
