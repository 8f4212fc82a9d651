from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Enum, Float, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from llmforge.db import Base, Timestamped, UTCDateTime, utcnow


class ChatSession(Timestamped, Base):
    """A conversation. Its messages form a tree (edits and regenerations are siblings);
    `active_leaf_id` is the newest message of the branch the user is looking at."""

    __tablename__ = "chat_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    model_id: Mapped[int | None] = mapped_column(
        ForeignKey("models.id", ondelete="SET NULL"), default=None
    )
    system_prompt: Mapped[str] = mapped_column(Text, default="")
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    active_leaf_id: Mapped[int | None] = mapped_column(Integer, default=None)
    knowledge_base_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    """Knowledge bases searched for every question in this chat."""
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class MessageRole(StrEnum):
    user = "user"
    assistant = "assistant"


class MessageStatus(StrEnum):
    streaming = "streaming"
    complete = "complete"
    interrupted = "interrupted"
    error = "error"


class ChatMessage(Base):
    __tablename__ = "chat_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("chat_sessions.id", ondelete="CASCADE"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("chat_messages.id", ondelete="CASCADE"), index=True, default=None
    )
    role: Mapped[MessageRole] = mapped_column(Enum(MessageRole, native_enum=False, length=16))
    content: Mapped[str] = mapped_column(Text, default="")
    reasoning: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[MessageStatus] = mapped_column(
        Enum(MessageStatus, native_enum=False, length=16),
        default=MessageStatus.complete,
        index=True,  # the look for answers whose server was lost
    )
    streamed_by: Mapped[str | None] = mapped_column(String(32), default=None)
    """The server process streaming the answer (liveness.service.this_process)."""
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    model_id: Mapped[int | None] = mapped_column(
        ForeignKey("models.id", ondelete="SET NULL"), default=None
    )
    model_name: Mapped[str | None] = mapped_column(String(200), default=None)
    provider_name: Mapped[str | None] = mapped_column(String(100), default=None)
    ttft_ms: Mapped[float | None] = mapped_column(Float, default=None)
    latency_ms: Mapped[float | None] = mapped_column(Float, default=None)
    reasoning_ms: Mapped[float | None] = mapped_column(Float, default=None)
    input_tokens: Mapped[int | None] = mapped_column(Integer, default=None)
    output_tokens: Mapped[int | None] = mapped_column(Integer, default=None)
    tokens_estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    cost: Mapped[Decimal | None] = mapped_column(Numeric(14, 8), default=None)
    finish_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    omitted_messages: Mapped[int] = mapped_column(Integer, default=0)
    sources: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)
    """The knowledge-base passages put into the prompt for this answer, numbered from 1."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
