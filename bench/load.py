"""The benchmarks' client: aiohttp on uvloop, which costs a fraction of httpx's CPU per
request, so that at hundreds of requests per second the client is not what is measured.

Requests are sent open-loop: request i leaves at i / rps seconds whatever the earlier ones
are doing, so a slow server shows as latency, not as a lower rate."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from bench.harness import percentile

Request = Callable[[aiohttp.ClientSession], Awaitable[float]]


def session(headers: dict[str, str] | None = None) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=300)
    return aiohttp.ClientSession(connector=connector, timeout=timeout, headers=headers)


def post_json(url: str, body: dict[str, Any], ok: Callable[[Any], bool]) -> Request:
    """Seconds from sending to the whole answer, which must pass `ok`."""

    async def send(client: aiohttp.ClientSession) -> float:
        started = time.perf_counter()
        async with client.post(url, json=body) as response:
            answer = await response.json(content_type=None)
            if response.status != 200 or not ok(answer):
                raise RuntimeError(f"{response.status}: {str(answer)[:200]}")
        return time.perf_counter() - started

    return send


def stream(url: str, body: dict[str, Any], is_token: Callable[[bytes], bool]) -> Request:
    """Seconds from sending to the first line carrying a token; the stream is read to its end."""

    async def send(client: aiohttp.ClientSession) -> float:
        started = time.perf_counter()
        first = None
        last = b""
        async with client.post(url, json=body) as response:
            if response.status != 200:
                raise RuntimeError(f"{response.status}: {(await response.text())[:200]}")
            async for line in response.content:
                if first is None and is_token(line):
                    first = time.perf_counter() - started
                last = line if line.strip() else last
        if first is None:
            raise RuntimeError(f"the stream carried no token; its last line: {last[-400:]!r}")
        return first

    return send


async def open_loop(
    requests: list[Request], rps: float, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """Send request i at i / rps seconds; latency percentiles in ms, errors and the rate."""
    async with session(headers) as client:
        start = time.perf_counter() + 0.2

        async def timed(index: int, request: Request) -> float:
            await asyncio.sleep(max(0.0, start + index / rps - time.perf_counter()))
            return await request(client)

        results = await asyncio.gather(
            *(timed(index, request) for index, request in enumerate(requests)),
            return_exceptions=True,
        )
        wall = time.perf_counter() - start
    latencies = [r * 1000 for r in results if isinstance(r, float)]
    failures = [r for r in results if not isinstance(r, float)]
    return {
        "requests": len(requests),
        "errors": len(failures),
        "first_error": repr(failures[0])[:200] if failures else None,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "achieved_rps": round(len(latencies) / wall, 1),
    }
