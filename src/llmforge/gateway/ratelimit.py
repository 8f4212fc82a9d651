"""Requests per minute per API key: a sliding log of the last minute's requests. In one process
it lives in memory; with `LLMFORGE_REDIS_URL` it lives in Redis, so the limit holds across every
server process and host of the deployment."""

import time
import uuid
from collections import deque
from typing import Protocol

from redis.asyncio import Redis

WINDOW_SECONDS = 60.0


class RateLimiter(Protocol):
    async def acquire(self, key: str, limit: int) -> float | None:
        """Count one request for `key`; None when it is within `limit` per minute, otherwise
        the seconds until a request would be allowed (the refused one is not counted)."""
        ...


class InProcessRateLimiter:
    """The times of the requests of the last minute, per key."""

    def __init__(self, window: float = WINDOW_SECONDS) -> None:
        self._window = window
        self._hits: dict[str, deque[float]] = {}

    async def acquire(self, key: str, limit: int) -> float | None:
        now = time.monotonic()
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self._window:
            hits.popleft()
        if len(hits) >= limit:
            return hits[0] + self._window - now
        hits.append(now)
        return None


# Atomic in Redis, and on Redis's clock, so hosts need not agree on the time. A refusal returns
# the wait as a string: Lua numbers would reach the client truncated to integers.
_SLIDING_LOG = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local window, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tostring(tonumber(oldest[2]) + window - now)
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('EXPIRE', KEYS[1], math.ceil(window))
return false
"""


class RedisRateLimiter:
    """The same sliding log as a Redis sorted set per key."""

    def __init__(self, redis: Redis, window: float = WINDOW_SECONDS) -> None:
        self._window = window
        self._script = redis.register_script(_SLIDING_LOG)

    async def acquire(self, key: str, limit: int) -> float | None:
        wait = await self._script(
            keys=[f"llmforge:ratelimit:{key}"], args=[self._window, limit, uuid.uuid4().hex]
        )
        return None if wait is None else float(wait)
