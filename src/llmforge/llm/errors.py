"""Upstream failures as domain errors, with the provider's own message and never a secret."""

import json
from typing import Any

from llmforge.core.errors import DomainError
from llmforge.llm.base import ErrorKind, Outcome, StreamError

MESSAGE_LIMIT = 500
_HTTP_STATUS: dict[str, int] = {"timeout": 504, "rate_limited": 429}
_OUTCOMES: dict[str, Outcome] = {
    "authentication_failed": "authentication_failed",
    "unreachable": "unreachable",
    "timeout": "timeout",
    "model_not_found": "model_not_found",
    "rate_limited": "rate_limited",
}


class UpstreamError(DomainError):
    """A provider call failed. `status` is the provider's HTTP status when it answered."""

    def __init__(self, kind: ErrorKind, message: str, status: int | None = None) -> None:
        super().__init__(
            message,
            code=f"upstream_{kind}",
            details={"kind": kind, "upstream_status": status},
        )
        self.kind: ErrorKind = kind
        self.status = status
        self.status_code = _HTTP_STATUS.get(kind, 502)

    def event(self) -> StreamError:
        return StreamError(kind=self.kind, message=self.message, status=self.status)

    def outcome(self) -> Outcome:
        return _OUTCOMES.get(self.kind, "bad_response")

    def redacted(self, *secrets: str | None) -> "UpstreamError":
        return UpstreamError(self.kind, redact(self.message, *secrets), self.status)


class UnsupportedOperation(DomainError):
    status_code = 400
    code = "llm_operation_unsupported"


def redact(text: str, *secrets: str | None) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text


def kind_for_status(status: int) -> ErrorKind:
    if status in (401, 403):
        return "authentication_failed"
    if status == 404:
        return "model_not_found"
    if status == 429:
        return "rate_limited"
    if status in (408, 504):
        return "timeout"
    if status >= 500:
        return "server_error"
    return "bad_request"


def message_from_payload(payload: Any) -> str | None:
    """The human message in any of the four providers' error bodies."""
    if not isinstance(payload, dict):
        return None
    error = payload.get("error", payload)
    if isinstance(error, str):
        return error
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])
    return None


def parse_body(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def error_from_response(status: int, body: bytes) -> UpstreamError:
    snippet = body.decode("utf-8", "replace").strip()[:200]
    return error_from_payload(status, parse_body(body), snippet)


def error_from_payload(status: int, payload: Any, snippet: str = "") -> UpstreamError:
    message = message_from_payload(payload)
    if message is None:
        message = f"HTTP {status}" + (f": {snippet}" if snippet else "")
    kind = kind_for_status(status)
    if kind == "bad_request":
        kind = _kind_from_message(message)
    return UpstreamError(kind, message[:MESSAGE_LIMIT], status)


def _kind_from_message(message: str) -> ErrorKind:
    """Some providers answer 400 where others use 401 or 404 (Gemini for a wrong key,
    several OpenAI-compatible servers for an unknown model)."""
    lowered = message.lower()
    if "api key" in lowered and ("invalid" in lowered or "not valid" in lowered):
        return "authentication_failed"
    missing = ("not exist", "not found", "unknown model")
    if "model" in lowered and any(word in lowered for word in missing):
        return "model_not_found"
    return "bad_request"
