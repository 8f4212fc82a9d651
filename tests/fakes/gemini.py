"""A fake Google Gemini API (v1beta) server.

    with FakeGemini(api_key="AIza-test") as fake:   # base_url: http://127.0.0.1:PORT/v1beta
        fake.behaviour.reasoning = "thinking"       # sent as parts with "thought": true
        ...

Endpoints: POST /v1beta/models/{m}:streamGenerateContent?alt=sse (SSE `data:` chunks,
CRLF-separated, no end marker), POST /v1beta/models/{m}:generateContent,
GET /v1beta/models (paged with pageSize/pageToken), POST /v1beta/models/{m}:batchEmbedContents.
The key comes in `x-goog-api-key` (or `?key=`); a wrong key is a 400 API_KEY_INVALID.
"""

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.server import FakeServer, fake_vector, garbage_response, json_response

ERRORS: dict[int, tuple[str, str]] = {
    400: ("INVALID_ARGUMENT", "API key not valid. Please pass a valid API key."),
    401: ("UNAUTHENTICATED", "Request had invalid authentication credentials."),
    403: (
        "PERMISSION_DENIED",
        "Method doesn't allow unregistered callers (callers without "
        "established identity). Please use API Key or other form of API consumer identity "
        "to call this API.",
    ),
    404: (
        "NOT_FOUND",
        "models/{model} is not found for API version v1beta, or is not "
        "supported for generateContent. Call ListModels to see the list of available "
        "models and their supported methods.",
    ),
    429: ("RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
    500: (
        "INTERNAL",
        "An internal error has occurred. Please retry or report in "
        "https://developers.generativeai.google/guide/troubleshooting",
    ),
}


def error_body(status: int, model: str = "") -> dict[str, Any]:
    code, message = ERRORS.get(status, ERRORS[500])
    error: dict[str, Any] = {"code": status, "message": message.format(model=model), "status": code}
    if status == 400:
        error["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
                "metadata": {"service": "generativelanguage.googleapis.com"},
            }
        ]
    return {"error": error}


class FakeGemini(FakeServer):
    @property
    def base_url(self) -> str:
        return f"{self.url}/v1beta"

    def routes(self) -> list[Route]:
        return [
            Route("/v1beta/models", self.models),
            Route("/v1beta/models/{target:path}", self.model_call, methods=["POST"]),
        ]

    async def _refuse(self, request: Request, model: str = "") -> Response | None:
        key = request.headers.get("x-goog-api-key") or request.query_params.get("key")
        if self.api_key is not None and key != self.api_key:
            refused = 400 if key else 403
            return json_response(error_body(refused), refused)
        status = self.behaviour.take_failure()
        if status is not None:
            return json_response(error_body(status, model), status)
        if model and model not in self.behaviour.models:
            return json_response(error_body(404, model), 404)
        return None

    async def model_call(self, request: Request) -> Response:
        recorded = await self.record(request)
        model, _, method = str(request.path_params["target"]).partition(":")
        refusal = await self._refuse(request, model)
        if refusal is not None:
            return refusal
        body = recorded.body if isinstance(recorded.body, dict) else {}
        if method == "streamGenerateContent":
            return self.stream(self._chunks(model), "text/event-stream")
        if method == "batchEmbedContents":
            return self._embed(body)
        if method != "generateContent":
            return json_response(error_body(404, model), 404)
        await self.slow_start()
        if self.behaviour.garbage:
            return garbage_response()
        return json_response(self._response(model, self._parts(whole=True), final=True))

    def _parts(self, whole: bool) -> list[dict[str, Any]]:
        b = self.behaviour
        thoughts = [b.reasoning] if whole and b.reasoning else b.reasoning_chunks()
        texts = [b.reply] if whole else b.content_chunks()
        return [{"text": t, "thought": True} for t in thoughts] + [{"text": t} for t in texts]

    def _response(self, model: str, parts: list[dict[str, Any]], final: bool) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}, "index": 0}
        if final:
            candidate["finishReason"] = "STOP"
        payload: dict[str, Any] = {
            "candidates": [candidate],
            "modelVersion": model,
            "responseId": "fake-response",
        }
        if not self.behaviour.omit_usage:
            prompt, completion = self.behaviour.usage
            usage = {"promptTokenCount": prompt, "totalTokenCount": prompt}
            if final:
                usage |= {
                    "candidatesTokenCount": completion,
                    "totalTokenCount": prompt + completion,
                }
            payload["usageMetadata"] = usage
        return payload

    def _chunks(self, model: str) -> list[str]:
        if self.behaviour.garbage:
            return ["data: {{{ not json\r\n\r\n"]
        parts = self._parts(whole=False)
        responses = [self._response(model, [part], final=False) for part in parts]
        responses.append(self._response(model, [{"text": ""}], final=True))
        return [f"data: {json.dumps(r)}\r\n\r\n" for r in responses]

    def _embed(self, body: dict[str, Any]) -> Response:
        if self.behaviour.garbage:
            return garbage_response()
        texts = [
            " ".join(p.get("text", "") for p in r["content"]["parts"])
            for r in body.get("requests", [])
        ]
        dim = self.behaviour.embedding_dim
        return json_response({"embeddings": [{"values": fake_vector(t, dim)} for t in texts]})

    async def models(self, request: Request) -> Response:
        await self.record(request)
        refusal = await self._refuse(request)
        if refusal is not None:
            return refusal
        await self.slow_start()
        if self.behaviour.garbage:
            return garbage_response()
        names = self.behaviour.models
        start = int(request.query_params.get("pageToken") or 0)
        size = int(request.query_params.get("pageSize") or 50)
        payload: dict[str, Any] = {
            "models": [self._model(name) for name in names[start : start + size]]
        }
        if start + size < len(names):
            payload["nextPageToken"] = str(start + size)
        return json_response(payload)

    def _model(self, name: str) -> dict[str, Any]:
        embedding = "embed" in name
        methods = (
            ["embedContent", "batchEmbedContents"]
            if embedding
            else ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"]
        )
        return {
            "name": f"models/{name}",
            "version": "001",
            "displayName": name.replace("-", " ").title(),
            "description": "A fake model.",
            "inputTokenLimit": 2048 if embedding else 1_048_576,
            "outputTokenLimit": 1 if embedding else 65_536,
            "supportedGenerationMethods": methods,
            **(
                {}
                if embedding
                else {
                    "temperature": 1,
                    "topP": 0.95,
                    "topK": 64,
                    "maxTemperature": 2,
                    "thinking": True,
                }
            ),
        }
