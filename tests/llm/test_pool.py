"""A provider's shared connection pool keeps what it opened: a second burst of concurrent
calls reuses the first burst's connections instead of opening new ones (with 20 kept of 100, a
busy gateway closed and reopened a connection per call and fell to a third of its rate)."""

import asyncio

import pytest

from llmforge.llm import ClientRegistry, ProviderConfig, TimeoutSettings
from llmforge.llm.clients import Pool, UpstreamRequest

BURST = 40


class CountingServer:
    """HTTP/1.1 with keep-alive on loopback; each answer takes `delay`, so a burst overlaps."""

    def __init__(self, delay: float = 0.05) -> None:
        self.delay = delay
        self.connections = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                await asyncio.sleep(self.delay)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()


@pytest.mark.anyio
async def test_a_second_burst_reuses_the_first_bursts_connections() -> None:
    counting = CountingServer()
    server = await asyncio.start_server(counting.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    registry = ClientRegistry()
    config = ProviderConfig(protocol="openai", base_url=f"http://127.0.0.1:{port}/v1")
    pool = registry.get(config)
    try:
        for _ in range(2):
            answers = await asyncio.gather(*(answer(pool, config.base_url) for _ in range(BURST)))
            assert answers == [b"ok"] * BURST
        assert counting.connections == BURST
    finally:
        await registry.aclose_all()
        server.close()


async def answer(pool: Pool, url: str) -> bytes:
    response = await pool.send(UpstreamRequest("GET", url, {}))
    try:
        return await response.read()
    finally:
        response.release()


@pytest.mark.anyio
async def test_a_provider_takes_many_more_than_a_hundred_calls_at_once() -> None:
    # streams hold their connection while the model talks; with 100 per pool the 101st
    # concurrent call waited for a free one and failed after the connect timeout
    counting = CountingServer(delay=1.0)
    server = await asyncio.start_server(counting.serve, "127.0.0.1", 0, backlog=512)
    port = server.sockets[0].getsockname()[1]
    registry = ClientRegistry()
    config = ProviderConfig(
        protocol="openai",
        base_url=f"http://127.0.0.1:{port}/v1",
        timeouts=TimeoutSettings(connect=0.5, first_byte=5, idle=5, total=10),
    )
    pool = registry.get(config)
    try:
        calls = 250
        answers = await asyncio.gather(*(answer(pool, config.base_url) for _ in range(calls)))
        assert answers == [b"ok"] * calls
        assert counting.connections == calls
    finally:
        await registry.aclose_all()
        server.close()
