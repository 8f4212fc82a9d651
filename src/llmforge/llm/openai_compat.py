"""The OpenAI wire format (Chat Completions, /models, /embeddings): OpenAI, Azure OpenAI and
every OpenAI-compatible provider, with the preset's quirks."""

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
from llmforge.llm.errors import UpstreamError, kind_for_status, message_from_payload
from llmforge.llm.policy import decode_json
from llmforge.llm.sse import sse_events
from llmforge.llm.tokens import estimate_input_tokens

DONE = "[DONE]"
FINISH_REASONS = {"function_call": "tool_calls"}
REASONING_FIELDS = ("reasoning_content", "reasoning")


def _usage(payload: dict[str, Any]) -> Usage | None:
    usage = payload.get("usage") or (payload.get("x_groq") or {}).get("usage")
    if not isinstance(usage, dict) or "prompt_tokens" not in usage:
        return None
    return Usage(int(usage["prompt_tokens"]), int(usage.get("completion_tokens") or 0))


def _error_in(payload: Any) -> UpstreamError | None:
    if not isinstance(payload, dict) or "error" not in payload:
        return None
    error = payload["error"]
    code = error.get("code") if isinstance(error, dict) else None
    status = code if isinstance(code, int) else None
    kind = kind_for_status(status) if status else "server_error"
    return UpstreamError(
        kind, message_from_payload(payload) or "the provider sent an error", status
    )


def _message_events(message: dict[str, Any]) -> list[RawEvent]:
    events: list[RawEvent] = []
    for field in REASONING_FIELDS:
        if isinstance(message.get(field), str) and message[field]:
            events.append(ReasoningDelta(message[field]))
            break
    if isinstance(message.get("content"), str) and message["content"]:
        events.append(ContentDelta(message["content"]))
    return events


def _choice_events(payload: dict[str, Any], message_key: str) -> list[RawEvent]:
    events: list[RawEvent] = []
    for choice in payload.get("choices") or []:
        if choice.get("index", 0) != 0:
            continue
        events.extend(_message_events(choice.get(message_key) or {}))
        if choice.get("finish_reason"):
            reason = str(choice["finish_reason"])
            events.append(Finish(FINISH_REASONS.get(reason, reason)))
    return events


class OpenAICompatClient(HttpAdapter):
    def _path(self, model: str, endpoint: str) -> str:
        if self.config.quirks.azure_deployments:
            return f"/deployments/{model}/{endpoint}"
        return f"/{endpoint}"

    def chat_request(self, request: ChatRequest, *, stream: bool) -> UpstreamRequest:
        body: dict[str, Any] = {
            "model": request.model,
            "messages": [m.model_dump() for m in request.messages],
            "stream": stream,
        }
        if stream and self.config.quirks.stream_usage:
            body["stream_options"] = {"include_usage": True}
        options = {
            "temperature": request.temperature,
            "top_p": request.top_p,
            self.config.quirks.max_tokens_field: request.max_tokens,
            "presence_penalty": request.presence_penalty,
            "frequency_penalty": request.frequency_penalty,
            "stop": list(request.stop) or None,
            "reasoning_effort": request.reasoning_effort,
        }
        body.update({key: value for key, value in options.items() if value is not None})
        return self.build("POST", self._path(request.model, "chat/completions"), json=body)

    async def parse_stream(self, lines: AsyncIterator[str]) -> AsyncIterator[RawEvent]:
        async for event in sse_events(lines):
            if event.data.strip() == DONE:
                return
            payload = decode_json(event.data, self.config)
            error = _error_in(payload)
            if error:
                raise error
            for raw in _choice_events(payload, "delta"):
                yield raw
            usage = _usage(payload)
            if usage:
                yield usage

    def parse_completion(self, payload: Any) -> list[RawEvent]:
        if not isinstance(payload, dict) or not isinstance(payload.get("choices"), list):
            raise UpstreamError("bad_response", "the answer has no choices")
        events = _choice_events(payload, "message")
        usage = _usage(payload)
        return [*events, usage] if usage else events

    async def fetch_models(self) -> list[RemoteModel]:
        payload = await self.get_json(self.build("GET", "/models"))
        items = payload.get("data") if isinstance(payload, dict) else payload
        if not isinstance(items, list):
            raise UpstreamError("bad_response", "the model list has no data")
        return [
            remote_model(
                str(item["id"]),
                item.get("display_name") or item.get("name"),
                item.get("context_length") or item.get("max_model_len"),
            )
            for item in items
            if isinstance(item, dict) and "id" in item
        ]

    async def embed(self, model: str, inputs: list[str]) -> EmbeddingResult:
        body = {"model": model, "input": inputs, "encoding_format": "float"}
        request = self.build("POST", self._path(model, "embeddings"), json=body)
        payload = await self.get_json(request)
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, list) or len(data) != len(inputs):
            raise UpstreamError("bad_response", "the embeddings answer does not match the inputs")
        vectors = [item["embedding"] for item in sorted(data, key=lambda item: item["index"])]
        usage = payload.get("usage") or {}
        if "prompt_tokens" in usage:
            return EmbeddingResult(vectors=vectors, usage=Usage(int(usage["prompt_tokens"]), 0))
        return EmbeddingResult(vectors=vectors, usage=await estimate_input_tokens(inputs))
