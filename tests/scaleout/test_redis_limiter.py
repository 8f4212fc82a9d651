"""The Redis rate limiter counts like the in-process one, on Redis's clock, and a key's limit
is not waived when Redis cannot be reached or does not answer."""

import asyncio

import pytest
from redis.asyncio import Redis

from llmforge.api_keys.models import ApiKey
from llmforge.core.errors import ServiceUnavailable
from llmforge.core.redis import TIMEOUT_SECONDS
from llmforge.gateway.access import _within_rate
from llmforge.gateway.ratelimit import InProcessRateLimiter, RateLimiter, RedisRateLimiter
from tests.pg import free_port
from tests.redis_server import RedisServer, silent_redis

WINDOW = 0.6


async def _pattern(limiter: RateLimiter) -> list[bool]:
    """Three tries on a limit of two, one on another key, then one after the window."""
    allowed = [await limiter.acquire("k", 2) is None for _ in range(3)]
    allowed.append(await limiter.acquire("other", 2) is None)
    await asyncio.sleep(WINDOW + 0.1)
    allowed.append(await limiter.acquire("k", 2) is None)
    return allowed


def test_redis_counts_as_the_in_process_limiter_does(redis_server: RedisServer) -> None:
    async def both() -> tuple[list[bool], list[bool]]:
        async with Redis.from_url(redis_server.url, decode_responses=True) as redis:
            await redis.flushdb()
            shared = await _pattern(RedisRateLimiter(redis, window=WINDOW))
        return shared, await _pattern(InProcessRateLimiter(window=WINDOW))

    shared, local = asyncio.run(both())
    assert shared == local == [True, True, False, True, True]


def test_a_refusal_says_how_long_to_wait_and_is_not_counted(redis_server: RedisServer) -> None:
    async def run() -> tuple[float | None, float | None, int]:
        async with Redis.from_url(redis_server.url, decode_responses=True) as redis:
            await redis.flushdb()
            limiter = RedisRateLimiter(redis, window=60)
            await limiter.acquire("k", 1)
            first, second = await limiter.acquire("k", 1), await limiter.acquire("k", 1)
            return first, second, await redis.zcard("llmforge:ratelimit:k")

    first, second, counted = asyncio.run(run())
    assert first is not None and 59 < first <= 60
    assert second is not None and second <= first
    assert counted == 1


def test_an_unreachable_redis_refuses_a_limited_key_with_503() -> None:
    async def run() -> None:
        async with Redis.from_url(f"redis://127.0.0.1:{free_port()}/0") as redis:
            key = ApiKey(id=1, name="k", rate_limit_per_minute=5)
            await _within_rate(RedisRateLimiter(redis), key)

    with pytest.raises(ServiceUnavailable) as refused:
        asyncio.run(run())
    assert refused.value.code == "rate_limiter_unavailable"
    assert refused.value.status_code == 503


def test_a_redis_that_does_not_answer_refuses_a_limited_key_with_503_at_once() -> None:
    """The gateway call waited 84 s on it."""

    async def run() -> None:
        async with silent_redis() as redis:
            key = ApiKey(id=1, name="k", rate_limit_per_minute=5)
            await asyncio.wait_for(_within_rate(RedisRateLimiter(redis), key), TIMEOUT_SECONDS * 10)

    with pytest.raises(ServiceUnavailable) as refused:
        asyncio.run(run())
    assert refused.value.code == "rate_limiter_unavailable"
