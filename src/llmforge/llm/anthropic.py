"""Anthropic Messages API: /v1/messages (SSE events), /v1/models; `x-api-key` plus
`anthropic-version`. Thinking blocks become reasoning."""

from collections.abc import AsyncIterator
from typing import Any

from llmforge.llm.adapter import HttpAdapter, RawEvent, remote_model
from llmforge.llm.base import (
    ChatRequest,
    ContentDelta,
    EmbeddingResult,
    Finish,
    ReasoningDelta,
    RemoteModel,
    Usage,
)
from llmforge.llm.clients import UpstreamRequest
from llmforge.llm.errors import UnsupportedOperation, UpstreamError, message_from_payload
from llmforge.llm.policy import decode_json
from llmforge.llm.sse import sse_events

DEFAULT_MAX_TOKENS = 4096
THINKING_BUDGETS = {"minimal": 1024, "low": 2048, "medium": 8192, "high": 24576}
STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
ERROR_KINDS: dict[str, Any] = {
    "authentication_error": "authentication_failed",
    "permission_error": "authentication_failed",
    "not_found_error": "model_not_found",
    "rate_limit_error": "rate_limited",
    "overloaded_error": "server_error",
    "api_error": "server_error",
    "timeout_error": "timeout",
}
PAGE_SIZE = 1000


def _input_tokens(usage: dict[str, Any]) -> int:
    keys = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    return sum(int(usage.get(key) or 0) for key in keys)


def _block_events(block: dict[str, Any]) -> list[RawEvent]:
    kind = block.get("type")
    if kind in ("text", "text_delta") and block.get("text"):
        return [ContentDelta(str(block["text"]))]
    if kind in ("thinking", "thinking_delta") and block.get("thinking"):
        return [ReasoningDelta(str(block["thinking"]))]
    return []


def _stop(reason: Any) -> Finish:
    return Finish(STOP_REASONS.get(str(reason), str(reason)))


def _stream_error(payload: Any) -> UpstreamError:
    error = payload.get("error") if isinstance(payload, dict) else None
    kind = ERROR_KINDS.get(error.get("type", "") if isinstance(error, dict) else "", "server_error")
    return UpstreamError(kind, message_from_payload(payload) or "the provider sent an error")


def _system_and_messages(request: ChatRequest) -> tuple[str, list[dict[str, str]]]:
    system = "\n\n".join(m.content for m in request.messages if m.role == "system")
    messages = [m.model_dump() for m in request.messages if m.role != "system"]
    return system, messages


class AnthropicClient(HttpAdapter):
    def protocol_headers(self) -> dict[str, str]:
        return {"anthropic-version": self.config.quirks.anthropic_version}

    def chat_request(self, request: ChatRequest, *, stream: bool) -> UpstreamRequest:
        system, messages = _system_and_messages(request)
        body: dict[str, Any] = {
            "model": request.model,
            "messages": messages,
            "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
            "stream": stream,
        }
        if system:
            body["system"] = system
        if request.stop:
            body["stop_sequences"] = list(request.stop)
        budget = THINKING_BUDGETS.get(request.reasoning_effort or "")
        if budget:
            body["thinking"] = {"type": "enabled", "budget_tokens": budget}
            body["max_tokens"] = max(body["max_tokens"], budget + DEFAULT_MAX_TOKENS)
        else:
            sampling = {"temperature": request.temperature, "top_p": request.top_p}
            body.update({key: value for key, value in sampling.items() if value is not None})
        return self.build("POST", "/v1/messages", json=body)

    async def parse_stream(self, lines: AsyncIterator[str]) -> AsyncIterator[RawEvent]:
        input_tokens = 0
        async for event in sse_events(lines):
            payload = decode_json(event.data, self.config)
            kind = payload.get("type") if isinstance(payload, dict) else None
            if kind == "error":
                raise _stream_error(payload)
            if kind == "message_start":
                input_tokens = _input_tokens(payload["message"].get("usage") or {})
            elif kind == "content_block_start":
                for raw in _block_events(payload.get("content_block") or {}):
                    yield raw
            elif kind == "content_block_delta":
                for raw in _block_events(payload.get("delta") or {}):
                    yield raw
            elif kind == "message_delta":
                usage = payload.get("usage")
                if isinstance(usage, dict):
                    input_tokens = _input_tokens(usage) or input_tokens
                    yield Usage(input_tokens, int(usage.get("output_tokens") or 0))
                if (payload.get("delta") or {}).get("stop_reason"):
                    yield _stop(payload["delta"]["stop_reason"])
            elif kind == "message_stop":
                return

    def parse_completion(self, payload: Any) -> list[RawEvent]:
        if not isinstance(payload, dict) or not isinstance(payload.get("content"), list):
            raise UpstreamError("bad_response", "the answer has no content")
        events: list[RawEvent] = []
        for block in payload["content"]:
            events.extend(_block_events(block))
        usage = payload.get("usage") or {}
        events.append(Usage(_input_tokens(usage), int(usage.get("output_tokens") or 0)))
        events.append(_stop(payload.get("stop_reason") or "end_turn"))
        return events

    async def fetch_models(self) -> list[RemoteModel]:
        models: list[RemoteModel] = []
        params = {"limit": str(PAGE_SIZE)}
        while True:
            payload = await self.get_json(self.build("GET", "/v1/models", params=params))
            if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
                raise UpstreamError("bad_response", "the model list has no data")
            models += [remote_model(m["id"], m.get("display_name")) for m in payload["data"]]
            if not payload.get("has_more") or not payload.get("last_id"):
                return models
            params = {"limit": str(PAGE_SIZE), "after_id": str(payload["last_id"])}

    async def embed(self, model: str, inputs: list[str]) -> EmbeddingResult:
        raise UnsupportedOperation("The Anthropic API has no embeddings endpoint.")
