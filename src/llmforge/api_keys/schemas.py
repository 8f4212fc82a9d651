from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from llmforge.providers.schemas import Name

ModelName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=400)]


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    expires_at: datetime | None = None
    """After this moment the key is refused; must lie in the future. None: never expires."""
    model_allowlist: Annotated[list[ModelName], Field(max_length=200)] = []
    """Gateway model names (as /v1/models lists them) this key may call; empty: all."""
    rate_limit_per_minute: Annotated[int, Field(ge=1, le=100_000)] | None = None


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    """The secret's first characters, to recognise the key by."""
    expires_at: datetime | None
    model_allowlist: list[str]
    rate_limit_per_minute: int | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime


class ApiKeyCreated(ApiKeyRead):
    secret: str
    """The whole key: shown this once, never again (only its hash is stored)."""


class GatewayModelName(BaseModel):
    name: str
    """The name to pass as `model` on /v1 (and to put on an allowlist)."""
    owned_by: str
    kind: str
    """"model" (a provider's model) or "dify" (a Dify app)."""
    embeds: bool
