from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from llmforge.db import Base, Timestamped, UTCDateTime


class DifyAppType(StrEnum):
    chat = "chat"
    """Chatbot or chatflow (advanced-chat): /v1/chat-messages."""
    agent = "agent"
    """Agent (agent-chat): /v1/chat-messages, streaming only, with agent thoughts."""
    completion = "completion"
    """Text generator: /v1/completion-messages."""
    workflow = "workflow"
    """Workflow: /v1/workflows/run, the answer is its text output."""


class DifyApp(Timestamped, Base):
    """A Dify application reached with its app API key (encrypted at rest, never returned).
    Private to its owner unless an admin shares it with everyone."""

    __tablename__ = "dify_apps"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    base_url: Mapped[str] = mapped_column(String(500))
    app_type: Mapped[DifyAppType] = mapped_column(Enum(DifyAppType, native_enum=False, length=16))
    api_key_encrypted: Mapped[str] = mapped_column(String(2000))
    api_key_hint: Mapped[str] = mapped_column(String(32))
    input_variable: Mapped[str] = mapped_column(String(64), default="query")
    """Completion and workflow apps: the input that receives the user's text."""
    shared: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_test: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class DifyChatSession(Base):
    """A chat session that talks to a Dify app instead of a model, with Dify's conversation."""

    __tablename__ = "dify_chat_sessions"

    chat_session_id: Mapped[int] = mapped_column(
        ForeignKey("chat_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    app_id: Mapped[int] = mapped_column(ForeignKey("dify_apps.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[str] = mapped_column(String(100), default="")


class DifyCompareLane(Base):
    """A comparison lane answered by a Dify app (kept so the run can be repeated)."""

    __tablename__ = "dify_compare_lanes"

    lane_id: Mapped[int] = mapped_column(
        ForeignKey("compare_lanes.id", ondelete="CASCADE"), primary_key=True
    )
    app_id: Mapped[int | None] = mapped_column(
        ForeignKey("dify_apps.id", ondelete="SET NULL"), index=True, default=None
    )
