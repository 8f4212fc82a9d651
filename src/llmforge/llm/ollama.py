"""Ollama's native API: /api/chat (NDJSON), /api/tags, /api/embed. `message.thinking`
becomes reasoning; `prompt_eval_count`/`eval_count` are the usage."""

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
from llmforge.llm.errors import UpstreamError
from llmforge.llm.policy import decode_json
from llmforge.llm.tokens import estimate_input_tokens

EMBEDDING_FAMILIES = ("bert", "nomic-bert")


def _events(payload: Any) -> list[RawEvent]:
    if not isinstance(payload, dict):
        raise UpstreamError("bad_response", "the answer is not a JSON object")
    if "error" in payload:
        raise UpstreamError("server_error", str(payload["error"]))
    message = payload.get("message") or {}
    events: list[RawEvent] = []
    if message.get("thinking"):
        events.append(ReasoningDelta(str(message["thinking"])))
    if message.get("content"):
        events.append(ContentDelta(str(message["content"])))
    if payload.get("done"):
        prompt, output = payload.get("prompt_eval_count"), payload.get("eval_count")
        if isinstance(prompt, int) or isinstance(output, int):
            events.append(Usage(int(prompt or 0), int(output or 0)))
        events.append(Finish(str(payload.get("done_reason") or "stop")))
    return events


def _options(request: ChatRequest) -> dict[str, Any]:
    options = {
        "temperature": request.temperature,
        "top_p": request.top_p,
        "num_predict": request.max_tokens,
        "presence_penalty": request.presence_penalty,
        "frequency_penalty": request.frequency_penalty,
        "stop": list(request.stop) or None,
    }
    return {key: value for key, value in options.items() if value is not None}


class OllamaClient(HttpAdapter):
    def chat_request(self, request: ChatRequest, *, stream: bool) -> UpstreamRequest:
        body: dict[str, Any] = {
            "model": request.model,
            "messages": [m.model_dump() for m in request.messages],
            "stream": stream,
        }
        options = _options(request)
        if options:
            body["options"] = options
        if request.reasoning_effort:
            body["think"] = request.reasoning_effort != "none"
        return self.build("POST", "/api/chat", json=body)

    async def parse_stream(self, lines: AsyncIterator[str]) -> AsyncIterator[RawEvent]:
        async for line in lines:
            if not line.strip():
                continue
            for raw in _events(decode_json(line, self.config)):
                yield raw

    def parse_completion(self, payload: Any) -> list[RawEvent]:
        return _events(payload)

    async def fetch_models(self) -> list[RemoteModel]:
        payload = await self.get_json(self.build("GET", "/api/tags"))
        if not isinstance(payload, dict) or not isinstance(payload.get("models"), list):
            raise UpstreamError("bad_response", "the model list has no models")
        return [_tag_model(item) for item in payload["models"] if isinstance(item, dict)]

    async def embed(self, model: str, inputs: list[str]) -> EmbeddingResult:
        request = self.build("POST", "/api/embed", json={"model": model, "input": inputs})
        payload = await self.get_json(request)
        vectors = payload.get("embeddings") if isinstance(payload, dict) else None
        if not isinstance(vectors, list) or len(vectors) != len(inputs):
            raise UpstreamError("bad_response", "the embeddings answer does not match the inputs")
        if isinstance(payload.get("prompt_eval_count"), int):
            return EmbeddingResult(vectors=vectors, usage=Usage(payload["prompt_eval_count"], 0))
        return EmbeddingResult(vectors=vectors, usage=await estimate_input_tokens(inputs))


def _tag_model(item: dict[str, Any]) -> RemoteModel:
    name = str(item.get("model") or item["name"])
    model = remote_model(name, str(item.get("name") or name))
    family = str((item.get("details") or {}).get("family") or "")
    if family in EMBEDDING_FAMILIES:
        return model.model_copy(update={"capabilities": ["embedding"]})
    return model
