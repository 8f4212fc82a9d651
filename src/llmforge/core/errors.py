"""Domain errors and their one mapping to HTTP: every error body is {code, message, details}."""

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger("llmforge.errors")


class ErrorResponse(BaseModel):
    code: str
    message: str
    details: Any = None


class DomainError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.details = details
        self.headers = headers or {}


class BadRequest(DomainError):
    pass


class Unauthorized(DomainError):
    status_code = 401
    code = "unauthorized"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message, code=code, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class PayloadTooLarge(DomainError):
    status_code = 413
    code = "payload_too_large"


class InvalidInput(DomainError):
    status_code = 422
    code = "validation_error"


class TooManyRequests(DomainError):
    status_code = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after_seconds: int, code: str | None = None) -> None:
        super().__init__(
            message,
            code=code,
            details={"retry_after_seconds": retry_after_seconds},
            headers={"Retry-After": str(retry_after_seconds)},
        )


class ServiceUnavailable(DomainError):
    status_code = 503
    code = "service_unavailable"


class DatabaseUnavailable(ServiceUnavailable):
    """The database cannot be reached (down, restarting, refusing connections): the client
    may retry; the server recovers by itself once the database is back."""

    code = "database_unavailable"

    def __init__(self) -> None:
        super().__init__("The database is not reachable right now; try again in a moment.")


class ServerBusy(ServiceUnavailable):
    """Every database connection stayed taken for the pool's whole timeout: the server is
    overloaded. The request did nothing; the client may retry after a moment."""

    code = "server_busy"

    def __init__(self) -> None:
        super().__init__(
            "The server is too busy to take this request right now; try again in a moment.",
            headers={"Retry-After": "1"},
        )


HTTP_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def error_response(
    status: int,
    code: str,
    message: str,
    details: Any = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = ErrorResponse(code=code, message=message, details=details).model_dump(mode="json")
    return JSONResponse(body, status_code=status, headers=headers)


def describe_validation_errors(errors: list[Any]) -> tuple[str, list[dict[str, Any]]]:
    details = [
        {"loc": list(error.get("loc", ())), "msg": error.get("msg", ""), "type": error.get("type")}
        for error in errors
    ]
    if any(error.get("type") == "json_invalid" for error in errors):
        return "The request body is not valid JSON.", details
    first = details[0] if details else {"loc": [], "msg": "invalid input"}
    field = ".".join(str(part) for part in first["loc"] if part != "body") or "request"
    message = f"{field}: {first['msg']}"
    if len(details) > 1:
        message += f" (and {len(details) - 1} more problem{'s' if len(details) > 2 else ''})"
    return message, details


async def handle_domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return error_response(exc.status_code, exc.code, exc.message, exc.details, exc.headers)


async def handle_validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    message, details = describe_validation_errors(list(exc.errors()))
    return error_response(422, "validation_error", message, details)


async def handle_http_exception(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = HTTP_STATUS_CODES.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, str(exc.detail), None, exc.headers)


async def handle_unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "Something went wrong on the server.")


def _out_of_range(exc: Exception) -> bool:
    """A number the database cannot store: SQLite's 64-bit bound (raised while binding it),
    PostgreSQL's numeric_value_out_of_range (22003) or asyncpg's own int32/int64 check."""
    if isinstance(exc, OverflowError):
        return True
    cause = getattr(exc, "orig", None)
    return getattr(cause, "sqlstate", None) == "22003" or "value out of int" in str(cause)


def _database_locked(exc: Exception) -> bool:
    return "database is locked" in str(getattr(exc, "orig", ""))


async def handle_redis_error(request: Request, exc: Exception) -> JSONResponse:
    """Redis (shared by the server processes) failed even after the client's retries."""
    logger.warning("Redis unreachable on %s %s: %r", request.method, request.url.path, exc)
    return error_response(
        503, "redis_unavailable", "A shared service is not reachable right now; try again soon."
    )


async def handle_pool_timeout(request: Request, _: Exception) -> JSONResponse:
    logger.warning("no database connection free for %s %s", request.method, request.url.path)
    return await handle_domain_error(request, ServerBusy())


async def handle_database_error(request: Request, exc: Exception) -> JSONResponse:
    """Ids and numbers in request bodies are checked by the database's own range: one past it
    is the client's mistake (422, the transaction rolled back); a connection the database
    dropped mid-request (it restarted) is a 503 to retry; anything else the server's fault."""
    if _out_of_range(exc):
        return error_response(
            422, "number_out_of_range", "A number in the request is too large to be stored."
        )
    if _database_locked(exc):  # SQLite: another writer held it past busy_timeout
        return await handle_domain_error(request, ServerBusy())
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        logger.warning(
            "database connection lost on %s %s: %s", request.method, request.url.path, exc.orig
        )
        return await handle_domain_error(request, DatabaseUnavailable())
    return await handle_unexpected_error(request, exc)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, handle_domain_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_exception)
    app.add_exception_handler(DBAPIError, handle_database_error)
    app.add_exception_handler(OverflowError, handle_database_error)
    app.add_exception_handler(PoolTimeout, handle_pool_timeout)
    app.add_exception_handler(RedisError, handle_redis_error)
    app.add_exception_handler(Exception, handle_unexpected_error)
