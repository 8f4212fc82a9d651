import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)

from llmforge.llm.base import Capability, ConnectionReport
from llmforge.providers.models import Visibility
from llmforge.users.models import Role

HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$")


def _url_text(url: AnyHttpUrl) -> str:
    return str(url).rstrip("/")


def _valid_headers(headers: dict[str, str]) -> dict[str, str]:
    for name, value in headers.items():
        if not HEADER_NAME.match(name):
            raise ValueError(f"'{name}' is not a valid HTTP header name")
        if any(character in value for character in "\r\n\0"):
            raise ValueError(f"the value of header '{name}' contains a line break")
    return headers


BaseUrl = Annotated[AnyHttpUrl, AfterValidator(_url_text)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
ApiKey = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
Headers = Annotated[dict[str, str], Field(max_length=20), AfterValidator(_valid_headers)]
Timeout = Annotated[float, Field(ge=1, le=3600)]
Price = Annotated[Decimal, Field(ge=0, le=1_000_000, max_digits=12, decimal_places=6)]


class ProviderCreate(BaseModel):
    name: Name
    preset: str
    base_url: BaseUrl | None = None
    api_key: ApiKey | None = None
    extra_headers: Headers = {}
    timeout_seconds: Timeout = 60.0
    enabled: bool = True


class ProviderUpdate(BaseModel):
    """Fields left out stay as they are. `api_key: ""` removes the key; a new value replaces it.
    `extra_headers` replaces all headers."""

    name: Name | None = None
    base_url: BaseUrl | None = None
    api_key: ApiKey | None = None
    extra_headers: Headers | None = None
    timeout_seconds: Timeout | None = None
    enabled: bool | None = None


class ConnectionTestResult(ConnectionReport):
    tested_at: datetime
    model: str | None = None


class ProviderRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    preset: str
    protocol: str
    base_url: str
    api_key_hint: str | None
    has_api_key: bool
    extra_header_names: list[str]
    timeout_seconds: float
    enabled: bool
    last_refreshed_at: datetime | None
    last_test: ConnectionTestResult | None
    model_count: int
    created_at: datetime
    updated_at: datetime


class ConnectionTestRequest(BaseModel):
    model: str | None = Field(default=None, max_length=200)


class RefreshSummary(BaseModel):
    added: list[str]
    restored: list[str]
    unavailable: list[str]
    unchanged: int
    total: int


class ModelParameters(BaseModel):
    """The defaults a chat with this model starts from; every field optional."""

    model_config = ConfigDict(extra="forbid")

    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    top_p: Annotated[float, Field(ge=0, le=1)] | None = None
    max_tokens: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    presence_penalty: Annotated[float, Field(ge=-2, le=2)] | None = None
    frequency_penalty: Annotated[float, Field(ge=-2, le=2)] | None = None
    stop: Annotated[list[Annotated[str, StringConstraints(min_length=1)]], Field(max_length=4)] = []
    reasoning_effort: Literal["none", "minimal", "low", "medium", "high"] | None = None


class ModelFields(BaseModel):
    display_name: Name | None = None
    capabilities: list[Capability] | None = None
    context_length: Annotated[int, Field(ge=1, le=100_000_000)] | None = None
    input_price_per_mtok: Price | None = None
    output_price_per_mtok: Price | None = None
    parameters: ModelParameters | None = None
    enabled: bool | None = None
    visibility: Visibility | None = None
    allowed_roles: list[Role] | None = None
    allowed_user_ids: Annotated[list[int], Field(max_length=1000)] | None = None


class ModelCreate(ModelFields):
    model_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class ModelUpdate(ModelFields):
    pass


class ModelRead(BaseModel):
    """A model as every user sees it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    provider_id: int
    provider_name: str
    model_id: str
    display_name: str
    capabilities: list[str]
    context_length: int | None
    input_price_per_mtok: Decimal | None
    output_price_per_mtok: Decimal | None
    parameters: dict[str, Any]


class ModelAdminRead(ModelRead):
    enabled: bool
    available: bool
    visibility: Visibility
    allowed_roles: list[Role]
    allowed_user_ids: list[int]
    created_at: datetime
    updated_at: datetime
