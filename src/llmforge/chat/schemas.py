from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from llmforge.chat.models import MessageRole, MessageStatus
from llmforge.knowledge.schemas import Source
from llmforge.providers.schemas import ModelParameters

MAX_MESSAGE_CHARS = 100_000
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
SystemPrompt = Annotated[str, Field(max_length=MAX_MESSAGE_CHARS)]
KnowledgeBaseIds = Annotated[list[int], Field(max_length=10)]
MessageText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_MESSAGE_CHARS)
]


class SessionCreate(BaseModel):
    title: Title | None = None
    model_id: int | None = None
    system_prompt: SystemPrompt = ""
    parameters: ModelParameters = ModelParameters()
    knowledge_base_ids: KnowledgeBaseIds = []


class SessionUpdate(BaseModel):
    title: Title | None = None
    pinned: bool | None = None
    model_id: int | None = None
    system_prompt: SystemPrompt | None = None
    parameters: ModelParameters | None = None
    knowledge_base_ids: KnowledgeBaseIds | None = None
    """Searched for every question; [] turns knowledge off."""


class SessionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    pinned: bool
    model_id: int | None
    system_prompt: str
    parameters: dict[str, Any]
    knowledge_base_ids: list[int]
    created_at: datetime
    updated_at: datetime
    last_message_at: datetime


class MessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    parent_id: int | None
    role: MessageRole
    content: str
    reasoning: str
    status: MessageStatus
    error: dict[str, Any] | None
    model_id: int | None
    model_name: str | None
    provider_name: str | None
    ttft_ms: float | None
    latency_ms: float | None
    reasoning_ms: float | None
    input_tokens: int | None
    output_tokens: int | None
    tokens_estimated: bool
    cost: Decimal | None
    finish_reason: str | None
    omitted_messages: int
    sources: list[Source] | None = None
    """The knowledge-base passages the answer could cite as [1], [2], …"""
    created_at: datetime
    variant_ids: list[int] = []
    """This message and its siblings (other answers or edits at the same point), oldest first."""


class SessionDetail(SessionRead):
    messages: list[MessageRead]
    """The branch being viewed, oldest first."""


class SendMessage(BaseModel):
    content: MessageText
    parent_id: int | None = None
    """Answer after this message (default: the end of the branch being viewed)."""
    model_id: int | None = None
    """Use another model for this answer (default: the session's model)."""


class Regenerate(BaseModel):
    model_id: int | None = None


class EditMessage(BaseModel):
    content: MessageText


class SwitchVariant(BaseModel):
    message_id: int


ExportFormat = Literal["markdown", "json"]
