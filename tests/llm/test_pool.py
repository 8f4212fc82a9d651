"""A provider's shared connection pool keeps what it opened and opens as many as are needed:
a second burst of concurrent calls reuses the first burst's connections (with 20 kept of 100,
a busy gateway closed and reopened a connection per call and fell to a third of its rate), and
far more than 100 calls can be in flight at once (streams hold theirs while the model talks)."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest

from llmforge.llm import ClientRegistry, ProviderConfig, TimeoutSettings
from llmforge.llm.clients import Pool, UpstreamRequest

pytestmark = pytest.mark.anyio


class CountingServer:
    """HTTP/1.1 with keep-alive on loopback; each answer takes `delay`, so a burst overlaps."""

    def __init__(self, delay: float) -> None:
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


@dataclass(frozen=True)
class Provider:
    pool: Pool
    url: str

    async def burst(self, calls: int) -> list[bytes]:
        return await asyncio.gather(*(self.answer() for _ in range(calls)))

    async def answer(self) -> bytes:
        response = await self.pool.send(UpstreamRequest("GET", self.url, {}))
        try:
            return await response.read()
        finally:
            response.release()


@asynccontextmanager
async def provider_on(counting: CountingServer, connect_timeout: float) -> AsyncIterator[Provider]:
    """A provider pool on `counting`, served on loopback; both closed afterwards."""
    server = await asyncio.start_server(counting.serve, "127.0.0.1", 0, backlog=512)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1"
    registry = ClientRegistry()
    timeouts = TimeoutSettings(connect=connect_timeout, first_byte=5, idle=5, total=10)
    config = ProviderConfig(protocol="openai", base_url=url, timeouts=timeouts)
    try:
        yield Provider(registry.get(config), url)
    finally:
        await registry.aclose_all()
        server.close()


async def test_a_second_burst_reuses_the_first_bursts_connections() -> None:
    counting = CountingServer(delay=0.05)
    async with provider_on(counting, connect_timeout=10) as provider:
        for _ in range(2):
            assert await provider.burst(40) == [b"ok"] * 40
    assert counting.connections == 40


async def test_a_provider_takes_many_more_than_a_hundred_calls_at_once() -> None:
    # with 100 per pool the 101st concurrent call waited for a free connection and failed
    # after the connect timeout
    counting = CountingServer(delay=1.0)
    async with provider_on(counting, connect_timeout=0.5) as provider:
        assert await provider.burst(250) == [b"ok"] * 250
    assert counting.connections == 250
