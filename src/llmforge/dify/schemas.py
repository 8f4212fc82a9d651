from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from llmforge.dify.models import DifyAppType
from llmforge.providers.schemas import BaseUrl, ConnectionTestResult, Name


def _service_api_url(url: str) -> str:
    """Dify's service API lives under /v1; a bare server address gets it added."""
    return url if url.endswith("/v1") else url + "/v1"


DifyUrl = Annotated[BaseUrl, AfterValidator(_service_api_url)]
AppKey = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
InputVariable = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
]
AppStatus = Literal["ok", "failing", "untested", "disabled"]


class DifyAppCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    base_url: DifyUrl
    """The service API address, e.g. https://api.dify.ai/v1."""
    api_key: AppKey
    """The app's API key (app-...): stored encrypted, never returned."""
    app_type: DifyAppType
    input_variable: InputVariable = "query"
    """Completion and workflow apps: the input variable that receives the user's text."""
    shared: bool = False
    """Visible to every user (admins only)."""
    enabled: bool = True


class DifyAppUpdate(BaseModel):
    """Fields left out stay as they are; a new `api_key` replaces the stored one."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    base_url: DifyUrl | None = None
    api_key: AppKey | None = None
    app_type: DifyAppType | None = None
    input_variable: InputVariable | None = None
    shared: bool | None = None
    enabled: bool | None = None


class DifyAppRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    owner_id: int
    name: str
    base_url: str
    app_type: DifyAppType
    api_key_hint: str
    input_variable: str
    shared: bool
    enabled: bool
    status: AppStatus
    """disabled, untested, ok (last connection test passed) or failing."""
    editable: bool
    """The caller owns the app or is an admin."""
    last_test: ConnectionTestResult | None
    last_used_at: datetime | None
    created_at: datetime
    updated_at: datetime


class DifyChatCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Name | None = None


class DifyChatRead(BaseModel):
    """The Dify app a chat session talks to, and Dify's conversation in it."""

    chat_session_id: int
    app_id: int
    app_name: str
    app_type: DifyAppType
    conversation_id: str
