"""The unified client protocol: provider configuration, requests, typed stream events, results."""

import hashlib
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, SecretStr

WireProtocol = Literal["openai", "anthropic", "ollama", "gemini", "dify"]
AuthStyle = Literal["bearer", "api-key", "x-api-key", "x-goog-api-key", "none"]
MaxTokensField = Literal["max_tokens", "max_completion_tokens"]
ErrorKind = Literal[
    "authentication_failed",
    "unreachable",
    "timeout",
    "model_not_found",
    "rate_limited",
    "bad_response",
    "bad_request",
    "server_error",
    "interrupted",
]
Outcome = Literal[
    "ok",
    "authentication_failed",
    "unreachable",
    "timeout",
    "model_not_found",
    "rate_limited",
    "bad_response",
]
Capability = Literal["chat", "embedding", "vision", "reasoning"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TimeoutSettings(_Frozen):
    """Seconds. `first_byte` runs from sending the request to the first body bytes of a stream;
    `idle` is the longest silence between two chunks; `total` bounds the whole call."""

    connect: float = Field(default=10.0, gt=0)
    first_byte: float = Field(default=60.0, gt=0)
    idle: float = Field(default=60.0, gt=0)
    total: float = Field(default=600.0, gt=0)


class RetrySettings(_Frozen):
    """Retries happen only before the first byte: connect errors, 429 and 5xx answers."""

    max_attempts: int = Field(default=3, ge=1, le=10)
    base_delay: float = Field(default=0.5, ge=0)
    max_delay: float = Field(default=8.0, ge=0)


class Quirks(_Frozen):
    """Known differences between servers speaking the same wire protocol."""

    stream_usage: bool = True
    """OpenAI wire: send `stream_options.include_usage` (some servers reject unknown fields)."""
    think_tags: bool = True
    """Split `<think>…</think>` found inside content into reasoning."""
    max_tokens_field: MaxTokensField = "max_tokens"
    api_version: str | None = None
    """Azure: the `api-version` query parameter added to every request."""
    azure_deployments: bool = False
    """Azure: chat and embeddings go to `/deployments/{model}/...`."""
    anthropic_version: str = "2023-06-01"
    list_models: bool = True
    """False when the provider has no model-list endpoint: `known_models` are returned."""
    known_models: tuple[str, ...] = ()


class ProviderConfig(_Frozen):
    """Everything needed to talk to one provider. The key is a SecretStr: it never shows in
    a repr, a log line or an error message."""

    protocol: WireProtocol
    base_url: str
    api_key: SecretStr | None = None
    auth_style: AuthStyle = "bearer"
    extra_headers: dict[str, str] = Field(default_factory=dict, repr=False)
    timeouts: TimeoutSettings = TimeoutSettings()
    retry: RetrySettings = RetrySettings()
    quirks: Quirks = Quirks()
    provider_id: str = ""
    """The caller's id for this provider; shared connection pools are cached under it."""

    def secret(self) -> str | None:
        return self.api_key.get_secret_value() if self.api_key else None

    def fingerprint(self) -> str:
        """A digest of every setting, the secrets included, that reveals none of them."""
        payload = self.model_dump_json(exclude={"api_key"}) + "\0" + (self.secret() or "")
        return hashlib.sha256(payload.encode()).hexdigest()


class ChatMessage(_Frozen):
    role: Literal["system", "user", "assistant"]
    content: str


class ChatRequest(_Frozen):
    model: str
    messages: tuple[ChatMessage, ...]
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = Field(default=None, gt=0)
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    stop: tuple[str, ...] = ()
    reasoning_effort: str | None = None
    """"none", "minimal", "low", "medium" or "high"; each adapter maps it to its protocol."""


@dataclass(frozen=True, slots=True)
class ContentDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    text: str


@dataclass(frozen=True, slots=True)
class Usage:
    input_tokens: int
    output_tokens: int
    estimated: bool = False


@dataclass(frozen=True, slots=True)
class Finish:
    """The last event of every stream. `reason`: stop, length, tool_calls, content_filter,
    error, or the provider's own word when it has no equivalent."""

    reason: str
    ttft_ms: float | None = None
    latency_ms: float | None = None


@dataclass(frozen=True, slots=True)
class StreamError:
    kind: ErrorKind
    message: str
    status: int | None = None


@dataclass(frozen=True, slots=True)
class Citations:
    """Passages the upstream retrieved by itself and answered from (a Dify app's knowledge),
    each in the shape of llmforge's own knowledge sources."""

    sources: tuple[dict[str, Any], ...]


Event = ContentDelta | ReasoningDelta | Usage | Finish | StreamError | Citations


class Completion(BaseModel):
    content: str
    reasoning: str
    usage: Usage
    finish_reason: str
    ttft_ms: float | None
    latency_ms: float


class EmbeddingResult(BaseModel):
    vectors: list[list[float]]
    usage: Usage


class RemoteModel(BaseModel):
    id: str
    display_name: str
    context_length: int | None = None
    capabilities: list[Capability] = Field(default_factory=list)


class ConnectionReport(BaseModel):
    outcome: Outcome
    latency_ms: float
    message: str
    status: int | None = None


class LLMClient(Protocol):
    """One provider. `stream` always ends with `Usage` then `Finish`; a failure after the
    request started shows as a `StreamError` before them. Consume it inside
    `contextlib.aclosing(...)` so that leaving early closes the upstream request at once."""

    @property
    def config(self) -> ProviderConfig: ...

    def stream(self, request: ChatRequest) -> AsyncGenerator[Event, None]: ...

    async def complete(self, request: ChatRequest, *, stream: bool = True) -> Completion: ...

    async def embed(self, model: str, inputs: list[str]) -> EmbeddingResult: ...

    async def list_models(self) -> list[RemoteModel]: ...

    async def test_connection(self, model: str | None = None) -> ConnectionReport: ...
