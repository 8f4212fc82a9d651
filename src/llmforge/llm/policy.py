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

import anyio
import httpx

from llmforge.llm.base import ProviderConfig, RetrySettings
from llmforge.llm.errors import UpstreamError, error_from_response, redact

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504, 529})
ERROR_BODY_LIMIT = 64 * 1024


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
    if isinstance(exc, httpx.TimeoutException):
        error = UpstreamError("timeout", f"connecting to {_host(config)} timed out")
    else:
        error = UpstreamError("unreachable", f"cannot reach {_host(config)}: {exc}")
    return error.redacted(config.secret())


def _host(config: ProviderConfig) -> str:
    return httpx.URL(config.base_url).host or config.base_url


async def _send_once(
    http: httpx.AsyncClient, request: httpx.Request, wait: float
) -> httpx.Response:
    with anyio.fail_after(wait):
        return await http.send(request, stream=True)


async def _read_error(response: httpx.Response, config: ProviderConfig) -> UpstreamError:
    body = b""
    try:
        with anyio.fail_after(config.timeouts.idle):
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) >= ERROR_BODY_LIMIT:
                    break
    except (httpx.HTTPError, TimeoutError):
        pass
    finally:
        await response.aclose()
    return error_from_response(response.status_code, body).redacted(config.secret())


async def send_with_retry(
    http: httpx.AsyncClient,
    request: httpx.Request,
    config: ProviderConfig,
    deadline: Deadline,
    first_byte: float,
) -> httpx.Response:
    """Send until a non-retryable answer arrives. Returns an open, successful streaming
    response; raises UpstreamError otherwise."""
    retry = config.retry
    for attempt in range(retry.max_attempts):
        last = attempt == retry.max_attempts - 1
        try:
            response = await _send_once(http, request, deadline.left(first_byte))
        except TimeoutError:
            raise UpstreamError("timeout", _first_byte_message(first_byte)) from None
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            if last:
                raise _transport_error(exc, config) from None
            await anyio.sleep(backoff_delay(attempt, retry, None) or 0)
            continue
        except httpx.HTTPError as exc:
            raise _transport_error(exc, config) from None
        if response.is_success:
            return response
        delay = None if last else _retry_delay(response, attempt, retry)
        if delay is None:
            raise await _read_error(response, config)
        await response.aclose()
        await anyio.sleep(delay)
    raise AssertionError("unreachable: the last attempt always returns or raises")


def _retry_delay(response: httpx.Response, attempt: int, retry: RetrySettings) -> float | None:
    if response.status_code not in RETRYABLE_STATUSES:
        return None
    return backoff_delay(attempt, retry, response.headers.get("retry-after"))


def _first_byte_message(seconds: float) -> str:
    return f"the provider sent nothing within {seconds:g} s"


@asynccontextmanager
async def open_stream(
    http: httpx.AsyncClient, request: httpx.Request, config: ProviderConfig, deadline: Deadline
) -> AsyncIterator[AsyncIterator[str]]:
    """The response body as lines, each awaited under the first-byte, idle and total limits.
    The response is closed on leaving, however that happens."""
    response = await send_with_retry(http, request, config, deadline, config.timeouts.first_byte)
    try:
        yield _timed_lines(response, config, deadline)
    finally:
        await response.aclose()


async def _timed_lines(
    response: httpx.Response, config: ProviderConfig, deadline: Deadline
) -> AsyncIterator[str]:
    lines = response.aiter_lines()
    limit, what = config.timeouts.first_byte, "first byte"
    while True:
        line = await _next_line(lines, deadline, limit, what)
        if line is None:
            return
        yield line
        limit, what = config.timeouts.idle, "idle"


async def _next_line(
    lines: AsyncIterator[str], deadline: Deadline, limit: float, what: str
) -> str | None:
    wait = deadline.left(limit)
    try:
        # asyncio's timeout, not anyio's: this runs once per streamed line, and anyio's cancel
        # scope cost about a third of relaying a token.
        async with asyncio.timeout(wait):
            return await anext(lines, None)
    except TimeoutError:
        if wait < limit:
            message = f"the response took longer than {deadline.total:g} s in total"
        elif what == "idle":
            message = f"the provider sent nothing for {limit:g} s mid-stream"
        else:
            message = _first_byte_message(limit)
        raise UpstreamError("timeout", message) from None
    except httpx.HTTPError as exc:
        raise UpstreamError("interrupted", f"the connection broke mid-stream: {exc}") from None


async def request_json(
    http: httpx.AsyncClient, request: httpx.Request, config: ProviderConfig
) -> Any:
    """A whole JSON answer (model lists, embeddings, non-streamed chat) within `total`."""
    deadline = Deadline(config.timeouts.total)
    response = await send_with_retry(http, request, config, deadline, config.timeouts.total)
    try:
        with anyio.fail_after(deadline.left(config.timeouts.total)):
            body = await response.aread()
    except TimeoutError:
        raise UpstreamError("timeout", _first_byte_message(config.timeouts.total)) from None
    except httpx.HTTPError as exc:
        raise UpstreamError("interrupted", f"the connection broke: {exc}") from None
    finally:
        await response.aclose()
    return decode_json(body, config)


def decode_json(body: bytes | str, config: ProviderConfig) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        snippet = body if isinstance(body, str) else body.decode("utf-8", "replace")
        message = f"the provider's answer is not JSON: {snippet.strip()[:120]!r}"
        raise UpstreamError("bad_response", redact(message, config.secret())) from None
