"""A fake Ollama server (native API).

    with FakeOllama(api_key=None) as fake:   # base_url: http://127.0.0.1:PORT
        fake.behaviour.reasoning = "hmm"     # sent as message.thinking
        ...

Endpoints: POST /api/chat (NDJSON lines, the last with done, done_reason,
prompt_eval_count and eval_count; or one JSON object with "stream": false), GET /api/tags,
POST /api/embed. Open by default like Ollama; with an api_key it wants a Bearer token
(as behind an authenticating proxy).
"""

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.server import FakeServer, fake_vector, garbage_response, json_response

CREATED_AT = "2025-01-01T00:00:00.000000Z"
ERRORS = {
    401: "unauthorized",
    404: 'model "{model}" not found, try pulling it first',
    429: "too many requests, please retry later",
    500: "llama runner process has terminated: exit status 2",
}


def line(payload: dict[str, Any]) -> str:
    return json.dumps(payload) + "\n"


class FakeOllama(FakeServer):
    def __init__(self, api_key: str | None = None) -> None:
        super().__init__(api_key)

    def routes(self) -> list[Route]:
        return [
            Route("/api/chat", self.chat, methods=["POST"]),
            Route("/api/tags", self.tags),
            Route("/api/embed", self.embed, methods=["POST"]),
        ]

    def error(self, status: int, model: str = "") -> Response:
        message = ERRORS.get(status, ERRORS[500]).format(model=model)
        return json_response({"error": message}, status)

    async def _refuse(self, request: Request, model: str = "") -> Response | None:
        expected = f"Bearer {self.api_key}"
        if self.api_key is not None and request.headers.get("authorization") != expected:
            return self.error(401)
        status = self.behaviour.take_failure()
        if status is not None:
            return self.error(status, model)
        if model and model not in self.behaviour.models:
            return self.error(404, model)
        return None

    def _message(self, content: str, thinking: str = "") -> dict[str, Any]:
        message = {"role": "assistant", "content": content}
        return {**message, "thinking": thinking} if thinking else message

    def _done(self, model: str, message: dict[str, Any]) -> dict[str, Any]:
        done: dict[str, Any] = {
            "model": model,
            "created_at": CREATED_AT,
            "message": message,
            "done": True,
            "done_reason": "stop",
            "total_duration": 5_000_000,
            "load_duration": 1_000_000,
        }
        if not self.behaviour.omit_usage:
            prompt, completion = self.behaviour.usage
            done |= {
                "prompt_eval_count": prompt,
                "prompt_eval_duration": 1_000_000,
                "eval_count": completion,
                "eval_duration": 3_000_000,
            }
        return done

    def _lines(self, model: str) -> list[str]:
        behaviour = self.behaviour
        if behaviour.garbage:
            return ["<html>not json</html>\n"]
        parts = [
            line(
                {
                    "model": model,
                    "created_at": CREATED_AT,
                    "done": False,
                    "message": self._message("", text),
                }
            )
            for text in behaviour.reasoning_chunks()
        ]
        parts += [
            line(
                {
                    "model": model,
                    "created_at": CREATED_AT,
                    "done": False,
                    "message": self._message(text),
                }
            )
            for text in behaviour.content_chunks()
        ]
        return [*parts, line(self._done(model, self._message("")))]

    async def chat(self, request: Request) -> Response:
        recorded = await self.record(request)
        body = recorded.body if isinstance(recorded.body, dict) else {}
        model = str(body.get("model", ""))
        refusal = await self._refuse(request, model)
        if refusal is not None:
            return refusal
        if body.get("stream", True):
            return self.stream(self._lines(model), "application/x-ndjson")
        await self.slow_start()
        if self.behaviour.garbage:
            return garbage_response()
        message = self._message(self.behaviour.reply, self.behaviour.reasoning)
        return json_response(self._done(model, message))

    async def tags(self, request: Request) -> Response:
        await self.record(request)
        refusal = await self._refuse(request)
        if refusal is not None:
            return refusal
        await self.slow_start()
        if self.behaviour.garbage:
            return garbage_response()
        return json_response({"models": [self._tag(name) for name in self.behaviour.models]})

    def _tag(self, name: str) -> dict[str, Any]:
        family = "nomic-bert" if "embed" in name else "llama"
        return {
            "name": name,
            "model": name,
            "modified_at": CREATED_AT,
            "size": 2_019_393_189,
            "digest": "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
            "details": {
                "parent_model": "",
                "format": "gguf",
                "family": family,
                "families": [family],
                "parameter_size": "3.2B",
                "quantization_level": "Q4_K_M",
            },
        }

    async def embed(self, request: Request) -> Response:
        recorded = await self.record(request)
        body = recorded.body if isinstance(recorded.body, dict) else {}
        model = str(body.get("model", ""))
        refusal = await self._refuse(request, model)
        if refusal is not None:
            return refusal
        if self.behaviour.garbage:
            return garbage_response()
        inputs = body.get("input", [])
        inputs = [inputs] if isinstance(inputs, str) else inputs
        vectors = [fake_vector(text, self.behaviour.embedding_dim) for text in inputs]
        return json_response(
            {
                "model": model,
                "embeddings": vectors,
                "total_duration": 14_143_917,
                "load_duration": 1_019_500,
                "prompt_eval_count": sum(len(t.split()) for t in inputs),
            }
        )
