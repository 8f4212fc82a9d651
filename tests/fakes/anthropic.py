"""A fake Anthropic Messages API server.

    with FakeAnthropic(api_key="sk-ant-test") as fake:   # base_url: http://127.0.0.1:PORT
        fake.behaviour.reasoning = "Let me think."       # sent as a thinking block
        ...

Endpoints: POST /v1/messages (SSE: message_start, content_block_start/delta/stop with
thinking_delta, signature_delta and text_delta, ping, message_delta with stop_reason and
usage, message_stop; `error` events), GET /v1/models (paged with limit/after_id).
Requires `x-api-key` and `anthropic-version`.
"""

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.server import FakeServer, garbage_response, json_response

ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "anthropic-version: header is required"),
    401: ("authentication_error", "invalid x-api-key"),
    403: (
        "permission_error",
        "Your API key does not have permission to use the specified resource.",
    ),
    404: ("not_found_error", "model: {model}"),
    429: ("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit."),
    500: ("api_error", "Internal server error"),
    529: ("overloaded_error", "Overloaded"),
}


def event(kind: str, payload: dict[str, Any]) -> str:
    return f"event: {kind}\ndata: {json.dumps({'type': kind, **payload})}\n\n"


def error_body(status: int, model: str = "") -> dict[str, Any]:
    kind, message = ERRORS.get(status, ERRORS[500])
    return {
        "type": "error",
        "error": {"type": kind, "message": message.format(model=model)},
        "request_id": "req_fake",
    }


class FakeAnthropic(FakeServer):
    def routes(self) -> list[Route]:
        return [
            Route("/v1/messages", self.messages, methods=["POST"]),
            Route("/v1/models", self.models),
        ]

    async def _refuse(self, request: Request, model: str = "") -> Response | None:
        if self.api_key is not None and request.headers.get("x-api-key") != self.api_key:
            return json_response(error_body(401), 401)
        if "anthropic-version" not in request.headers:
            return json_response(error_body(400), 400)
        status = self.behaviour.take_failure()
        if status is not None:
            return json_response(error_body(status, model), status)
        if model and model not in self.behaviour.models:
            return json_response(error_body(404, model), 404)
        return None

    async def messages(self, request: Request) -> Response:
        recorded = await self.record(request)
        body = recorded.body if isinstance(recorded.body, dict) else {}
        model = str(body.get("model", ""))
        refusal = await self._refuse(request, model)
        if refusal is not None:
            return refusal
        if body.get("stream"):
            return self.stream(self._events(model), "text/event-stream")
        await self.slow_start()
        if self.behaviour.garbage:
            return garbage_response()
        return json_response(self._message(model))

    def _usage(self, output: bool = True) -> dict[str, Any]:
        prompt, completion = self.behaviour.usage
        usage: dict[str, Any] = {
            "input_tokens": prompt,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        }
        usage["output_tokens"] = completion if output else 1
        return usage

    def _events(self, model: str) -> list[str]:
        behaviour = self.behaviour
        if behaviour.garbage:
            return ["event: message_start\ndata: {not json\n\n"]
        start: dict[str, Any] = {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "content": [],
            "model": model,
            "stop_reason": None,
            "stop_sequence": None,
        }
        if not behaviour.omit_usage:
            start["usage"] = self._usage(output=False)
        parts = [event("message_start", {"message": start})]
        index = 0
        if behaviour.reasoning:
            parts.append(
                event(
                    "content_block_start",
                    {"index": index, "content_block": {"type": "thinking", "thinking": ""}},
                )
            )
            parts += [
                event(
                    "content_block_delta",
                    {"index": index, "delta": {"type": "thinking_delta", "thinking": text}},
                )
                for text in behaviour.reasoning_chunks()
            ]
            parts.append(
                event(
                    "content_block_delta",
                    {"index": index, "delta": {"type": "signature_delta", "signature": "c2ln"}},
                )
            )
            parts.append(event("content_block_stop", {"index": index}))
            index += 1
        parts.append(
            event(
                "content_block_start",
                {"index": index, "content_block": {"type": "text", "text": ""}},
            )
        )
        parts.append(event("ping", {}))
        parts += [
            event(
                "content_block_delta",
                {"index": index, "delta": {"type": "text_delta", "text": text}},
            )
            for text in behaviour.content_chunks()
        ]
        parts.append(event("content_block_stop", {"index": index}))
        delta: dict[str, Any] = {"delta": {"stop_reason": "end_turn", "stop_sequence": None}}
        if not behaviour.omit_usage:
            delta["usage"] = {"output_tokens": behaviour.usage[1]}
        parts.append(event("message_delta", delta))
        parts.append(event("message_stop", {}))
        return parts

    def _message(self, model: str) -> dict[str, Any]:
        content: list[dict[str, Any]] = []
        if self.behaviour.reasoning:
            content.append(
                {"type": "thinking", "thinking": self.behaviour.reasoning, "signature": "c2ln"}
            )
        content.append({"type": "text", "text": self.behaviour.reply})
        message: dict[str, Any] = {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": "end_turn",
            "stop_sequence": None,
        }
        if not self.behaviour.omit_usage:
            message["usage"] = self._usage()
        return message

    async def models(self, request: Request) -> Response:
        await self.record(request)
        refusal = await self._refuse(request)
        if refusal is not None:
            return refusal
        await self.slow_start()
        if self.behaviour.garbage:
            return garbage_response()
        names = self.behaviour.models
        after = request.query_params.get("after_id")
        start = names.index(after) + 1 if after in names else 0
        limit = int(request.query_params.get("limit", "20"))
        page = names[start : start + limit]
        data = [
            {
                "type": "model",
                "id": name,
                "display_name": name.replace("-", " ").title(),
                "created_at": "2025-01-01T00:00:00Z",
            }
            for name in page
        ]
        return json_response(
            {
                "data": data,
                "has_more": start + limit < len(names),
                "first_id": page[0] if page else None,
                "last_id": page[-1] if page else None,
            }
        )
