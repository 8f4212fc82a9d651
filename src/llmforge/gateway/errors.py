"""Every /v1 error in OpenAI's shape, {"error": {message, type, param, code}}, so that OpenAI
clients raise their usual exceptions. A route class converts whatever the handler raised."""

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from llmforge.core.errors import DomainError, ServerBusy, describe_validation_errors

ERROR_TYPES = {
    401: "invalid_request_error",
    403: "permission_denied",
    404: "invalid_request_error",
    429: "rate_limit_exceeded",
}
QUOTA_CODES = {"quota_exceeded": "insufficient_quota"}


class OpenAIErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None
    code: str | None


class OpenAIError(BaseModel):
    error: OpenAIErrorDetail


OPENAI_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": OpenAIError} for status in (400, 401, 403, 404, 422, 429, 502, 504)
}
"""What the /v1 routes document, in place of llmforge's {code, message} errors."""


def openai_error(
    status: int,
    message: str,
    *,
    code: str | None,
    param: str | None = None,
    error_type: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    kind = error_type or ERROR_TYPES.get(
        status, "api_error" if status >= 500 else "invalid_request_error"
    )
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return JSONResponse(body, status_code=status, headers=headers)


def from_domain_error(exc: DomainError) -> JSONResponse:
    details = exc.details if isinstance(exc.details, dict) else {}
    status = 400 if exc.status_code == 422 else exc.status_code  # OpenAI: 400 for bad input
    code = QUOTA_CODES.get(exc.code, exc.code)
    return openai_error(
        status,
        exc.message,
        code=code,
        param=details.get("param"),
        error_type="insufficient_quota" if code == "insufficient_quota" else None,
        headers=exc.headers,
    )


def from_validation_error(exc: RequestValidationError) -> JSONResponse:
    message, details = describe_validation_errors(list(exc.errors()))
    location = [str(part) for part in (details[0]["loc"] if details else []) if part != "body"]
    return openai_error(400, message, code="invalid_value", param=".".join(location) or None)


class OpenAIRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def openai_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except DomainError as exc:
                return from_domain_error(exc)
            except RequestValidationError as exc:
                return from_validation_error(exc)
            except StarletteHTTPException as exc:
                return openai_error(exc.status_code, str(exc.detail), code=None)
            except PoolTimeout:
                return from_domain_error(ServerBusy())

        return openai_handler
