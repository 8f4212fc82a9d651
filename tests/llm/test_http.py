"""What the HTTP layer under the adapters owes every provider, on raw HTTP/1.1 servers that
answer exactly the bytes a test gives them: SSE in any of its three line endings, a refusal of
absurdly long lines, and the proxy the environment names."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from llmforge.llm import LLMClient, ProviderConfig
from llmforge.llm.base import ContentDelta, StreamError
from llmforge.llm.clients import environment_proxy
from llmforge.llm.lines import MAX_LINE_BYTES
from tests.llm.test_adapters import chat, events_of, text_of

pytestmark = pytest.mark.anyio
Connect = Callable[[ProviderConfig], LLMClient]
StartServer = Callable[[bytes | list[bytes]], Awaitable[tuple["RawServer", str]]]


async def read_request(reader: asyncio.StreamReader) -> str:
    """Reads one request with its body; its request line."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        ),
        0,
    )
    await reader.readexactly(length)
    return head.split(b"\r\n", 1)[0].decode()


class RawServer:
    """Answers every request with `body` as a closed SSE response (a list of pieces is sent
    piece by piece, a moment apart, so that each arrives in a read of its own); keeps the
    request lines."""

    def __init__(self, body: bytes | list[bytes]) -> None:
        self.pieces = body if isinstance(body, list) else [body]
        self.request_lines: list[str] = []

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.request_lines.append(await read_request(reader))
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n"
        )
        for piece in self.pieces:
            writer.write(piece)
            await writer.drain()
            await asyncio.sleep(0.02)
        writer.close()


@pytest.fixture
async def raw_server() -> AsyncIterator[StartServer]:
    servers: list[asyncio.Server] = []

    async def start(body: bytes | list[bytes]) -> tuple[RawServer, str]:
        raw = RawServer(body)
        server = await asyncio.start_server(raw.serve, "127.0.0.1", 0)
        servers.append(server)
        return raw, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1"

    yield start
    for server in servers:
        server.close()


def sse(ending: bytes) -> bytes:
    events = [
        b'data: {"choices":[{"index":0,"delta":{"content":"Hel"}}]}',
        b'data: {"choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}',
        b"data: [DONE]",
    ]
    return b"".join(event + ending + ending for event in events)


@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b"\r"], ids=["LF", "CRLF", "CR"])
async def test_sse_lines_end_in_any_of_the_three_ways(
    ending: bytes, raw_server: StartServer, connect: Connect
) -> None:
    _, url = await raw_server(sse(ending))
    events = await events_of(connect(ProviderConfig(protocol="openai", base_url=url)), chat())
    assert text_of(events, ContentDelta) == "Hello"
    assert not [event for event in events if isinstance(event, StreamError)]


async def test_lines_cut_anywhere_between_reads_come_out_whole(
    raw_server: StartServer, connect: Connect
) -> None:
    # an event's data on two lines: a CRLF read as two line endings would cut it in two
    event = 'data: {"choices":[{"index":0,\r\ndata: "delta":{"content":"%s"},%s}]}\r\n\r\n'
    first = event % ("Grüß ", '"finish_reason":null')
    last = event % ("dich", '"finish_reason":"stop"')
    body = (first + last).encode() + b"data: [DONE]\r\n\r\n"
    cuts = [body.index(b"\r\n") + 1, body.index(b"\xc3\xbc") + 1, body.index(b"dich")]
    pieces = [body[start:end] for start, end in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    _, url = await raw_server(pieces)
    events = await events_of(connect(ProviderConfig(protocol="openai", base_url=url)), chat())
    assert text_of(events, ContentDelta) == "Grüß dich"
    assert not [event for event in events if isinstance(event, StreamError)]


async def test_a_line_longer_than_the_limit_is_a_bad_response(
    raw_server: StartServer, connect: Connect
) -> None:
    _, url = await raw_server(b"data: " + b"x" * (MAX_LINE_BYTES + 1) + b"\n\n")
    events = await events_of(connect(ProviderConfig(protocol="openai", base_url=url)), chat())
    error = next(event for event in events if isinstance(event, StreamError))
    assert error.kind == "bad_response" and "longer than 16 MiB" in error.message


async def test_calls_go_through_the_proxy_the_environment_names(
    raw_server: StartServer, connect: Connect, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy, proxy_url = await raw_server(sse(b"\n"))
    monkeypatch.setenv("HTTP_PROXY", proxy_url.removesuffix("/v1"))
    monkeypatch.setenv("NO_PROXY", "internal.example")
    config = ProviderConfig(protocol="openai", base_url="http://llm.example:8080/v1")
    events = await events_of(connect(config), chat())
    assert text_of(events, ContentDelta) == "Hello"
    # a proxy is sent the absolute URL; the provider's host never had to resolve here
    assert proxy.request_lines == ["POST http://llm.example:8080/v1/chat/completions HTTP/1.1"]
    assert environment_proxy("http://internal.example/v1") is None
    assert environment_proxy("https://llm.example/v1") is None  # no HTTPS_PROXY named


class ForgetfulServer:
    """Answers the first request on each connection and keeps the connection, then closes it
    without a word when a second request arrives on it: what a kept connection looks like to
    the client when the server's keep-alive ran out just as the request left (uvicorn, behind
    vLLM and LLaMA-Factory's API, keeps idle connections for 5 s)."""

    ANSWER = (
        b'{"id":"c","object":"chat.completion","model":"m","choices":[{"index":0,'
        b'"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}],'
        b'"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}'
    )

    def __init__(self) -> None:
        self.connections = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        await read_request(reader)
        head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
        writer.write(f"{head}content-length: {len(self.ANSWER)}\r\n\r\n".encode())
        writer.write(self.ANSWER)
        await writer.drain()
        with contextlib.suppress(asyncio.IncompleteReadError):
            await reader.readuntil(b"\r\n\r\n")
        writer.close()


async def test_kept_connections_the_server_just_closed_are_passed_over_for_a_new_one(
    connect: Connect,
) -> None:
    # aiohttp itself sends again only idempotent methods, and a chat completion is a POST.
    # Connections that went idle together expire together: four are kept here, all of them
    # stale for the next call, which must still be answered
    forgetful = ForgetfulServer()
    server = await asyncio.start_server(forgetful.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = connect(ProviderConfig(protocol="openai", base_url=f"http://127.0.0.1:{port}/v1"))
    try:
        burst = await asyncio.gather(*(client.complete(chat(), stream=False) for _ in range(4)))
        assert [completion.content for completion in burst] == ["Hi"] * 4
        assert (await client.complete(chat(), stream=False)).content == "Hi"
        assert forgetful.connections == 5
    finally:
        server.close()
