"""The runner and switches shared by the fake providers.

Each fake is a Starlette app served by uvicorn on a free 127.0.0.1 port in a background
thread. Use it as a context manager (or through a pytest fixture) and steer it with its
`behaviour`; every request it received is in `requests`:

    with FakeOpenAI(api_key="sk-test") as fake:
        fake.behaviour.reply = "<think>plan</think>Hello"
        fake.behaviour.chunk_size = 3
        fake.behaviour.fail_status, fake.behaviour.fail_times = 500, 1  # first call fails
        ...  # point a client at fake.base_url with key "sk-test"
        assert fake.requests[-1].headers["authorization"] == "Bearer sk-test"
        assert fake.wait_for_disconnect(5)  # after a client cancelled a stream

Switches (FakeBehaviour): reply / reasoning text, exact `chunks` or `chunk_size`, token delay,
first-byte delay, `disconnect_after` N streamed events, forced `fail_status` (401/404/429/500
with the provider's own error body, optionally only `fail_times` times, or only after
`fail_after` good requests), `garbage` (non-JSON
bodies), `omit_usage`, `reasoning_field` (OpenAI: "reasoning_content" or "reasoning"),
the served `models` and the `usage` numbers reported.
"""

import asyncio
import hashlib
import math
import threading
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any, Self

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.pg import free_port

GARBAGE = "<html><body>502 Bad Gateway</body></html>"


class FakeDisconnect(Exception):
    """Raised inside a streamed body to make the server drop the connection mid-stream."""


@dataclass
class FakeBehaviour:
    reply: str = "Hello from the fake provider."
    reasoning: str = ""
    reasoning_field: str = "reasoning_content"
    chunks: list[str] | None = None
    chunk_size: int = 5
    token_delay: float = 0.0
    first_byte_delay: float = 0.0
    disconnect_after: int | None = None
    fail_status: int | None = None
    fail_times: int | None = None
    fail_after: int = 0
    """Let this many requests through before `fail_status` applies (a failure midway)."""
    garbage: bool = False
    omit_usage: bool = False
    models: list[str] = field(default_factory=lambda: ["fake-chat", "fake-embed"])
    usage: tuple[int, int] = (11, 7)
    embedding_dim: int = 8

    def content_chunks(self) -> list[str]:
        return self.chunks if self.chunks is not None else split_text(self.reply, self.chunk_size)

    def reasoning_chunks(self) -> list[str]:
        return split_text(self.reasoning, self.chunk_size)

    def take_failure(self) -> int | None:
        """The status to fail this request with, counting down `fail_times`."""
        if self.fail_status is None or self.fail_times == 0:
            return None
        if self.fail_after > 0:
            self.fail_after -= 1
            return None
        if self.fail_times is not None:
            self.fail_times -= 1
        return self.fail_status


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


def split_text(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), max(1, size))]


def fake_vector(text: str, dim: int = 8) -> list[float]:
    """The deterministic unit vector every fake returns for `text`."""
    digest = hashlib.sha256(text.encode()).digest()
    raw = [(digest[i % len(digest)] - 127.5) / 127.5 for i in range(dim)]
    norm = math.sqrt(sum(x * x for x in raw)) or 1.0
    return [round(x / norm, 6) for x in raw]


class FakeServer:
    """Base of the fakes: runs `routes()` on loopback, records requests, tracks streams."""

    def __init__(self, api_key: str | None = "test-key") -> None:
        self.api_key = api_key
        self.behaviour = FakeBehaviour()
        self.requests: list[RecordedRequest] = []
        self.client_disconnects = 0
        self._disconnected = threading.Event()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- to override -------------------------------------------------------------
    def routes(self) -> list[Route]:
        raise NotImplementedError

    @property
    def base_url(self) -> str:
        """The base URL a provider config uses for this fake."""
        return self.url

    # -- lifecycle ---------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        self.port = free_port()
        app = Starlette(routes=self.routes())
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_config=None, lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fake server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server and self._thread:
            self._server.should_exit = True
            self._thread.join(timeout=10)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Back to default behaviour, no recorded requests."""
        self.behaviour = FakeBehaviour()
        self.requests.clear()
        self.client_disconnects = 0
        self._disconnected.clear()

    def wait_for_disconnect(self, timeout: float = 5.0) -> bool:
        """True once a client went away in the middle of a streamed answer."""
        return self._disconnected.wait(timeout)

    # -- helpers for the provider modules ---------------------------------------
    async def record(self, request: Request) -> RecordedRequest:
        raw = await request.body()
        try:
            body: Any = await request.json() if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        recorded = RecordedRequest(
            method=request.method,
            path=request.url.path,
            query=dict(request.query_params),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body,
        )
        self.requests.append(recorded)
        return recorded

    def stream(self, parts: Iterable[str], media_type: str) -> StreamingResponse:
        """Streams `parts` with the behaviour's delays, dropping the connection after
        `disconnect_after` parts, and notes when the client leaves before the end."""
        return StreamingResponse(self._paced(list(parts)), media_type=media_type)

    async def _paced(self, parts: list[str]) -> AsyncIterator[str]:
        behaviour, ended = self.behaviour, not parts
        try:
            await asyncio.sleep(behaviour.first_byte_delay)
            for index, part in enumerate(parts):
                if behaviour.disconnect_after is not None and index >= behaviour.disconnect_after:
                    ended = True
                    raise FakeDisconnect
                if index:
                    await asyncio.sleep(behaviour.token_delay)
                ended = index == len(parts) - 1  # a close after the last part is no disconnect
                yield part
        finally:
            if not ended:
                self.client_disconnects += 1
                self._disconnected.set()

    async def slow_start(self) -> None:
        await asyncio.sleep(self.behaviour.first_byte_delay)


def garbage_response() -> Response:
    return Response(GARBAGE, status_code=200, media_type="text/html")


def json_response(payload: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(payload, status_code=status)
