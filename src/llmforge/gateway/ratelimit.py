"""Requests per minute per API key. The limiter is an interface so that several server
processes can later share one (Redis); the in-process one serves a single process."""

import time
from collections import deque
from typing import Protocol

WINDOW_SECONDS = 60.0


class RateLimiter(Protocol):
    async def acquire(self, key: str, limit: int) -> float | None:
        """Count one request for `key`; None when it is within `limit` per minute, otherwise
        the seconds until a request would be allowed (the refused one is not counted)."""
        ...


class InProcessRateLimiter:
    """A sliding log: the times of the requests of the last minute, per key."""

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
