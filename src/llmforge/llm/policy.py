"""The one policy every adapter shares: timeouts (connect, first byte, idle, total), retries
with exponential backoff before the first byte only, and closing the upstream response
whenever the caller stops (completion, error, `aclose()` or task cancellation)."""

import asyncio
import json
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from llmforge.llm.base import ProviderConfig, RetrySettings
from llmforge.llm.clients import Pool, UpstreamRequest
from llmforge.llm.errors import UpstreamError, error_from_response, redact
from llmforge.llm.lines import MAX_LINE_BYTES, LineSplitter, LineTooLong

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504, 529})
ERROR_BODY_LIMIT = 64 * 1024
CONNECT_ERRORS = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)
"""Nothing was sent: safe to try again."""
STALE_CONNECTION_ERRORS = (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)
"""The provider closed or reset a kept connection before answering anything: its keep-alive
ran out as the request left (uvicorn, behind vLLM and LLaMA-Factory, keeps idle connections
5 s). aiohttp sends again by itself only for idempotent methods; a chat is a POST."""
STALE_RETRIES = 5
"""Connections that went idle together expire together, so a busy server can meet several in
a row; each costs a failed write and nothing else."""


class Deadline:
    """The wall-clock budget of one call, started when the call starts."""

    def __init__(self, total: float) -> None:
        self.started = time.monotonic()
        self.total = total

    def elapsed_ms(self) -> float:
        return (time.monotonic() - self.started) * 1000

    def left(self, limit: float) -> float:
        """`limit` seconds, or less when the total budget runs out sooner."""
        return max(0.0, min(limit, self.total - (time.monotonic() - self.started)))


def backoff_delay(attempt: int, retry: RetrySettings, retry_after: str | None) -> float | None:
    """Seconds to wait before attempt `attempt + 1`; None when waiting is not worth it."""
    wanted = _seconds(retry_after)
    if wanted is not None:
        return wanted if wanted <= retry.max_delay else None
    delay = min(retry.max_delay, retry.base_delay * 2.0**attempt)
    return delay + random.uniform(0, delay / 2)  # noqa: S311 - jitter, not security


def _seconds(value: str | None) -> float | None:
    """A Retry-After header in seconds (the HTTP-date form is ignored)."""
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _transport_error(exc: Exception, config: ProviderConfig) -> UpstreamError:
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        error = UpstreamError("timeout", f"connecting to {_host(config)} timed out")
    else:
        error = UpstreamError("unreachable", f"cannot reach {_host(config)}: {exc}")
    return error.redacted(config.secret())


def _host(config: ProviderConfig) -> str:
    return urlsplit(config.base_url).hostname or config.base_url


class FirstByteTimeout(Exception):
    """Nothing came back in time (as opposed to a connection that could not be opened)."""


async def _send_once(http: Pool, request: UpstreamRequest, wait: float) -> aiohttp.ClientResponse:
    try:
        async with asyncio.timeout(wait):
            return await _send_past_stale_connections(http, request)
    except CONNECT_ERRORS:
        raise  # a connect timeout is a TimeoutError too: keep it apart from the first byte's
    except TimeoutError:
        raise FirstByteTimeout from None


async def _send_past_stale_connections(
    http: Pool, request: UpstreamRequest
) -> aiohttp.ClientResponse:
    for _ in range(STALE_RETRIES):
        try:
            return await http.send(request)
        except CONNECT_ERRORS:
            raise  # a ClientOSError too, but no connection was made: the caller backs off
        except STALE_CONNECTION_ERRORS:
            continue  # that connection is closed now: the next try takes another
    return await http.send(request)


async def _read_error(response: aiohttp.ClientResponse, config: ProviderConfig) -> UpstreamError:
    body = b""
    try:
        async with asyncio.timeout(config.timeouts.idle):
            while len(body) < ERROR_BODY_LIMIT and (
                chunk := await response.content.read(ERROR_BODY_LIMIT - len(body))
            ):
                body += chunk
    except (aiohttp.ClientError, TimeoutError):
        pass
    finally:
        response.release()
    return error_from_response(response.status, body).redacted(config.secret())


def _succeeded(response: aiohttp.ClientResponse) -> bool:
    return 200 <= response.status < 300


async def send_with_retry(
    http: Pool,
    request: UpstreamRequest,
    config: ProviderConfig,
    deadline: Deadline,
    first_byte: float,
) -> aiohttp.ClientResponse:
    """Send until a non-retryable answer arrives. Returns an open, successful streaming
    response; raises UpstreamError otherwise."""
    retry = config.retry
    for attempt in range(retry.max_attempts):
        last = attempt == retry.max_attempts - 1
        try:
            response = await _send_once(http, request, deadline.left(first_byte))
        except FirstByteTimeout:
            raise UpstreamError("timeout", _first_byte_message(first_byte)) from None
        except CONNECT_ERRORS as exc:
            if last:
                raise _transport_error(exc, config) from None
            await asyncio.sleep(backoff_delay(attempt, retry, None) or 0)
            continue
        except aiohttp.ClientError as exc:
            raise _transport_error(exc, config) from None
        if _succeeded(response):
            return response
        delay = None if last else _retry_delay(response, attempt, retry)
        if delay is None:
            raise await _read_error(response, config)
        response.release()
        await asyncio.sleep(delay)
    raise AssertionError("unreachable: the last attempt always returns or raises")


def _retry_delay(
    response: aiohttp.ClientResponse, attempt: int, retry: RetrySettings
) -> float | None:
    if response.status not in RETRYABLE_STATUSES:
        return None
    return backoff_delay(attempt, retry, response.headers.get("retry-after"))


def _first_byte_message(seconds: float) -> str:
    return f"the provider sent nothing within {seconds:g} s"


@asynccontextmanager
async def open_stream(
    http: Pool, request: UpstreamRequest, config: ProviderConfig, deadline: Deadline
) -> AsyncIterator[AsyncIterator[str]]:
    """The response body as lines, each awaited under the first-byte, idle and total limits.
    The response is released on leaving, however that happens (its connection is closed
    unless the body was read to the end)."""
    response = await send_with_retry(http, request, config, deadline, config.timeouts.first_byte)
    try:
        yield _timed_lines(response, config, deadline)
    finally:
        response.release()


async def _timed_lines(
    response: aiohttp.ClientResponse, config: ProviderConfig, deadline: Deadline
) -> AsyncIterator[str]:
    """The body's lines; each read is awaited under the limits (the first byte's, then the
    idle one), the lines a read completes are handed on without another wait."""
    splitter = LineSplitter()
    limit, what = config.timeouts.first_byte, "first byte"
    while True:
        data = await _next_read(response, deadline, limit, what)
        for line in _lines(splitter, data):
            yield line
        if not data:
            return
        limit, what = config.timeouts.idle, "idle"


def _lines(splitter: LineSplitter, data: bytes) -> list[str]:
    """The lines `data` completes; at the end of the body (b""), the last unended one."""
    try:
        return splitter.feed(data) if data else splitter.close()
    except LineTooLong:
        message = f"the provider sent a line longer than {MAX_LINE_BYTES // 2**20} MiB"
        raise UpstreamError("bad_response", message) from None


async def _next_read(
    response: aiohttp.ClientResponse, deadline: Deadline, limit: float, what: str
) -> bytes:
    """Whatever has arrived (b"" at the end of the body), waiting at most `limit`."""
    wait = deadline.left(limit)
    try:
        async with asyncio.timeout(wait):
            return await response.content.readany()
    except TimeoutError:
        if wait < limit:
            message = f"the response took longer than {deadline.total:g} s in total"
        elif what == "idle":
            message = f"the provider sent nothing for {limit:g} s mid-stream"
        else:
            message = _first_byte_message(limit)
        raise UpstreamError("timeout", message) from None
    except aiohttp.ClientError as exc:
        raise UpstreamError("interrupted", f"the connection broke mid-stream: {exc}") from None


async def request_json(http: Pool, request: UpstreamRequest, config: ProviderConfig) -> Any:
    """A whole JSON answer (model lists, embeddings, non-streamed chat) within `total`."""
    deadline = Deadline(config.timeouts.total)
    response = await send_with_retry(http, request, config, deadline, config.timeouts.total)
    try:
        async with asyncio.timeout(deadline.left(config.timeouts.total)):
            body = await response.read()
    except TimeoutError:
        raise UpstreamError("timeout", _first_byte_message(config.timeouts.total)) from None
    except aiohttp.ClientError as exc:
        raise UpstreamError("interrupted", f"the connection broke: {exc}") from None
    finally:
        response.release()
    return decode_json(body, config)


def decode_json(body: bytes | str, config: ProviderConfig) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        snippet = body if isinstance(body, str) else body.decode("utf-8", "replace")
        message = f"the provider's answer is not JSON: {snippet.strip()[:120]!r}"
        raise UpstreamError("bad_response", redact(message, config.secret())) from None
