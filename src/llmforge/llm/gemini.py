"""Google Gemini API (v1beta): `models/{m}:streamGenerateContent?alt=sse`, `:generateContent`,
`models` (paged), `:batchEmbedContents`. Thought parts become reasoning."""

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
from llmforge.llm.errors import UpstreamError, error_from_payload
from llmforge.llm.policy import decode_json
from llmforge.llm.sse import sse_events
from llmforge.llm.tokens import estimate_input_tokens

THINKING_BUDGETS = {"none": 0, "minimal": 512, "low": 1024, "medium": 8192, "high": 24576}
FINISH_REASONS = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
}
PAGE_SIZE = "1000"


def model_path(model: str) -> str:
    return "/" + (model if model.startswith(("models/", "tunedModels/")) else f"models/{model}")


def _usage(metadata: dict[str, Any]) -> Usage:
    output = int(metadata.get("candidatesTokenCount") or 0)
    thoughts = int(metadata.get("thoughtsTokenCount") or 0)
    return Usage(int(metadata.get("promptTokenCount") or 0), output + thoughts)


def _events(payload: Any) -> list[RawEvent]:
    if not isinstance(payload, dict):
        raise UpstreamError("bad_response", "the answer is not a JSON object")
    if "error" in payload:
        error = payload["error"] if isinstance(payload["error"], dict) else {}
        raise error_from_payload(int(error.get("code") or 500), payload)
    events: list[RawEvent] = []
    candidates = payload.get("candidates") or []
    candidate = candidates[0] if candidates else {}
    for part in (candidate.get("content") or {}).get("parts") or []:
        if part.get("text"):
            kind = ReasoningDelta if part.get("thought") else ContentDelta
            events.append(kind(str(part["text"])))
    if isinstance(payload.get("usageMetadata"), dict):
        events.append(_usage(payload["usageMetadata"]))
    reason = candidate.get("finishReason")
    if (payload.get("promptFeedback") or {}).get("blockReason"):
        reason = "SAFETY"
    if reason:
        events.append(Finish(FINISH_REASONS.get(str(reason), str(reason).lower())))
    return events


def _generation_config(request: ChatRequest) -> dict[str, Any]:
    config = {
        "temperature": request.temperature,
        "topP": request.top_p,
        "maxOutputTokens": request.max_tokens,
        "presencePenalty": request.presence_penalty,
        "frequencyPenalty": request.frequency_penalty,
        "stopSequences": list(request.stop) or None,
    }
    generation: dict[str, Any] = {k: v for k, v in config.items() if v is not None}
    budget = THINKING_BUDGETS.get(request.reasoning_effort or "")
    if budget is not None:
        generation["thinkingConfig"] = {"thinkingBudget": budget, "includeThoughts": budget > 0}
    return generation


def _contents(request: ChatRequest) -> dict[str, Any]:
    body: dict[str, Any] = {
        "contents": [
            {"role": "model" if m.role == "assistant" else "user", "parts": [{"text": m.content}]}
            for m in request.messages
            if m.role != "system"
        ]
    }
    system = "\n\n".join(m.content for m in request.messages if m.role == "system")
    if system:
        body["systemInstruction"] = {"parts": [{"text": system}]}
    return body


class GeminiClient(HttpAdapter):
    def chat_request(self, request: ChatRequest, *, stream: bool) -> UpstreamRequest:
        body = _contents(request)
        generation = _generation_config(request)
        if generation:
            body["generationConfig"] = generation
        path = model_path(request.model)
        if stream:
            return self.build(
                "POST", f"{path}:streamGenerateContent", json=body, params={"alt": "sse"}
            )
        return self.build("POST", f"{path}:generateContent", json=body)

    async def parse_stream(self, lines: AsyncIterator[str]) -> AsyncIterator[RawEvent]:
        async for event in sse_events(lines):
            for raw in _events(decode_json(event.data, self.config)):
                yield raw

    def parse_completion(self, payload: Any) -> list[RawEvent]:
        return _events(payload)

    async def fetch_models(self) -> list[RemoteModel]:
        models: list[RemoteModel] = []
        params = {"pageSize": PAGE_SIZE}
        while True:
            payload = await self.get_json(self.build("GET", "/models", params=params))
            if not isinstance(payload, dict) or not isinstance(payload.get("models"), list):
                raise UpstreamError("bad_response", "the model list has no models")
            models += [_listed_model(item) for item in payload["models"]]
            if not payload.get("nextPageToken"):
                return models
            params = {"pageSize": PAGE_SIZE, "pageToken": str(payload["nextPageToken"])}

    async def embed(self, model: str, inputs: list[str]) -> EmbeddingResult:
        name = model_path(model).lstrip("/")
        requests = [{"model": name, "content": {"parts": [{"text": text}]}} for text in inputs]
        request = self.build("POST", f"/{name}:batchEmbedContents", json={"requests": requests})
        payload = await self.get_json(request)
        embeddings = payload.get("embeddings") if isinstance(payload, dict) else None
        if not isinstance(embeddings, list) or len(embeddings) != len(inputs):
            raise UpstreamError("bad_response", "the embeddings answer does not match the inputs")
        vectors = [item["values"] for item in embeddings]
        return EmbeddingResult(vectors=vectors, usage=await estimate_input_tokens(inputs))


def _listed_model(item: dict[str, Any]) -> RemoteModel:
    model_id = str(item["name"]).removeprefix("models/")
    model = remote_model(model_id, item.get("displayName"), item.get("inputTokenLimit"))
    methods = item.get("supportedGenerationMethods") or []
    if "embedContent" in methods and "generateContent" not in methods:
        return model.model_copy(update={"capabilities": ["embedding"]})
    if item.get("thinking") and "reasoning" not in model.capabilities:
        return model.model_copy(update={"capabilities": [*model.capabilities, "reasoning"]})
    return model
