"""A fake OpenAI Chat Completions server (also Azure OpenAI style with `azure=True`).

    with FakeOpenAI(api_key="sk-test") as fake:       # base_url: http://127.0.0.1:PORT/v1
        fake.behaviour.reasoning = "thinking..."      # sent as delta.reasoning_content
        ...

Endpoints: POST /v1/chat/completions (SSE `data:` chunks then `data: [DONE]`, or one JSON
object), GET /v1/models, POST /v1/embeddings. With `azure=True`: `api-key` header, a
required `api-version` query, and /openai/deployments/{name}/chat/completions|embeddings.
"""

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.server import FakeServer, fake_vector, garbage_response, json_response

CREATED = 1_700_000_000
ERRORS: dict[int, tuple[str, str, str | None]] = {
    401: (
        "invalid_request_error",
        "Incorrect API key provided: {key}. You can find your API "
        "key at https://platform.openai.com/account/api-keys.",
        "invalid_api_key",
    ),
    404: (
        "invalid_request_error",
        "The model `{model}` does not exist or you do not have access to it.",
        "model_not_found",
    ),
    429: (
        "requests",
        "Rate limit reached for {model} on requests per min (RPM): Limit 3, "
        "Used 3, Requested 1. Please try again in 20s.",
        "rate_limit_exceeded",
    ),
    500: (
        "server_error",
        "The server had an error while processing your request. Sorry about that!",
        None,
    ),
}


def masked(key: str) -> str:
    """How OpenAI echoes a wrong key: its first and last characters only."""
    return key[:3] + "*" * max(0, len(key) - 7) + key[-4:] if len(key) > 8 else "****"


def sse(payload: Any) -> str:
    return f"data: {json.dumps(payload)}\n\n"


class FakeOpenAI(FakeServer):
    def __init__(self, api_key: str | None = "test-key", *, azure: bool = False) -> None:
        super().__init__(api_key)
        self.azure = azure

    @property
    def base_url(self) -> str:
        return f"{self.url}/openai" if self.azure else f"{self.url}/v1"

    def routes(self) -> list[Route]:
        if self.azure:
            prefix = "/openai/deployments/{deployment}"
            return [
                Route(f"{prefix}/chat/completions", self.chat, methods=["POST"]),
                Route(f"{prefix}/embeddings", self.embeddings, methods=["POST"]),
                Route("/openai/models", self.models),
            ]
        return [
            Route("/v1/chat/completions", self.chat, methods=["POST"]),
            Route("/v1/embeddings", self.embeddings, methods=["POST"]),
            Route("/v1/models", self.models),
        ]

    def error(self, status: int, model: str = "", key: str = "") -> Response:
        kind, message, code = ERRORS.get(status, ERRORS[500])
        text = message.format(key=masked(key), model=model)
        body = {"error": {"message": text, "type": kind, "param": None, "code": code}}
        return json_response(body, status)

    def _presented_key(self, request: Request) -> str | None:
        if self.azure:
            return request.headers.get("api-key")
        auth = request.headers.get("authorization", "")
        return auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None

    async def _refuse(self, request: Request, model: str = "") -> Response | None:
        """The error response this request gets before any work, if any."""
        if self.azure and "api-version" not in request.query_params:
            missing = {"error": {"code": "404", "message": "Resource not found"}}
            return json_response(missing, 404)
        key = self._presented_key(request)
        if self.api_key is not None and key != self.api_key:
            if not key:
                body: dict[str, Any] = {
                    "error": {
                        "message": "You didn't provide an API key.",
                        "type": "invalid_request_error",
                        "param": None,
                        "code": None,
                    }
                }
                return json_response(body, 401)
            return self.error(401, key=key)
        status = self.behaviour.take_failure()
        if status is not None:
            return self.error(status, model=model)
        if model and model not in self.behaviour.models:
            return self.error(404, model=model)
        return None

    def _model_of(self, request: Request, body: Any) -> str:
        if self.azure:
            return str(request.path_params["deployment"])
        return str(body.get("model", "")) if isinstance(body, dict) else ""

    async def chat(self, request: Request) -> Response:
        recorded = await self.record(request)
        body = recorded.body if isinstance(recorded.body, dict) else {}
        model = self._model_of(request, body)
        refusal = await self._refuse(request, model)
        if refusal is not None:
            return refusal
        if body.get("stream"):
            usage = (body.get("stream_options") or {}).get("include_usage", False)
            return self.stream(self._chunks(model, bool(usage)), "text/event-stream")
        await self.slow_start()
        if self.behaviour.garbage:
            return garbage_response()
        return json_response(self._completion(model))

    def _usage(self) -> dict[str, int]:
        prompt, completion = self.behaviour.usage
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }

    def _chunk(self, model: str, delta: dict[str, Any], finish: str | None = None) -> str:
        return sse(
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": CREATED,
                "model": model,
                "system_fingerprint": "fp_fake",
                "choices": [
                    {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
                ],
            }
        )

    def _chunks(self, model: str, include_usage: bool) -> list[str]:
        behaviour = self.behaviour
        if behaviour.garbage:
            return ["data: this is not json\n\n"]
        parts = [self._chunk(model, {"role": "assistant", "content": ""})]
        parts += [
            self._chunk(model, {behaviour.reasoning_field: text})
            for text in behaviour.reasoning_chunks()
        ]
        parts += [self._chunk(model, {"content": text}) for text in behaviour.content_chunks()]
        parts.append(self._chunk(model, {}, "stop"))
        if include_usage and not behaviour.omit_usage:
            parts.append(
                sse(
                    {
                        "id": "chatcmpl-fake",
                        "object": "chat.completion.chunk",
                        "created": CREATED,
                        "model": model,
                        "choices": [],
                        "usage": self._usage(),
                    }
                )
            )
        return [*parts, "data: [DONE]\n\n"]

    def _completion(self, model: str) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": self.behaviour.reply}
        if self.behaviour.reasoning:
            message[self.behaviour.reasoning_field] = self.behaviour.reasoning
        payload: dict[str, Any] = {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": CREATED,
            "model": model,
            "system_fingerprint": "fp_fake",
            "choices": [
                {"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}
            ],
        }
        if not self.behaviour.omit_usage:
            payload["usage"] = self._usage()
        return payload

    async def models(self, request: Request) -> Response:
        await self.record(request)
        refusal = await self._refuse(request)
        if refusal is not None:
            return refusal
        await self.slow_start()
        if self.behaviour.garbage:
            return garbage_response()
        data = [
            {"id": m, "object": "model", "created": CREATED, "owned_by": "fake"}
            for m in self.behaviour.models
        ]
        return json_response({"object": "list", "data": data})

    async def embeddings(self, request: Request) -> Response:
        recorded = await self.record(request)
        body = recorded.body if isinstance(recorded.body, dict) else {}
        model = self._model_of(request, body)
        refusal = await self._refuse(request, model)
        if refusal is not None:
            return refusal
        await self.slow_start()
        if self.behaviour.garbage:
            return garbage_response()
        inputs = body.get("input", [])
        inputs = [inputs] if isinstance(inputs, str) else inputs
        dim = self.behaviour.embedding_dim
        data = [
            {"object": "embedding", "index": i, "embedding": fake_vector(text, dim)}
            for i, text in enumerate(inputs)
        ]
        tokens = sum(len(text.split()) for text in inputs)
        return json_response(
            {
                "object": "list",
                "data": data,
                "model": model,
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        )
