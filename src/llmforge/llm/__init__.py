"""The unified LLM client layer: one async protocol for every provider.

    config = get_preset("deepseek").config(api_key=key, provider_id=str(provider.id))
    client = create_client(config)
    async with aclosing(client.stream(ChatRequest(model=..., messages=...))) as events:
        async for event in events: ...

Shut down with `await aclose_all()`."""

from llmforge.llm.base import (
    ChatMessage,
    ChatRequest,
    Citations,
    Completion,
    ConnectionReport,
    ContentDelta,
    EmbeddingResult,
    Event,
    Finish,
    LLMClient,
    ProviderConfig,
    Quirks,
    ReasoningDelta,
    RemoteModel,
    RetrySettings,
    StreamError,
    TimeoutSettings,
    Usage,
)
from llmforge.llm.clients import ClientRegistry, aclose_all
from llmforge.llm.errors import UnsupportedOperation, UpstreamError
from llmforge.llm.factory import create_client
from llmforge.llm.presets import PRESETS, Preset, get_preset

__all__ = [
    "PRESETS",
    "ChatMessage",
    "ChatRequest",
    "Citations",
    "ClientRegistry",
    "Completion",
    "ConnectionReport",
    "ContentDelta",
    "EmbeddingResult",
    "Event",
    "Finish",
    "LLMClient",
    "Preset",
    "ProviderConfig",
    "Quirks",
    "ReasoningDelta",
    "RemoteModel",
    "RetrySettings",
    "StreamError",
    "TimeoutSettings",
    "UnsupportedOperation",
    "UpstreamError",
    "Usage",
    "aclose_all",
    "create_client",
    "get_preset",
]
