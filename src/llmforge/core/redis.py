"""The Redis that the server processes of one deployment share (`LLMFORGE_REDIS_URL`).

Without it everything that Redis would share lives in the memory of the one process, which is
the embedded default; `llmforge serve --workers N` with N > 1 requires it."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError, RedisError

from llmforge.settings import Settings

logger = logging.getLogger("llmforge.redis")
RECONNECT_SECONDS = 1.0
TIMEOUT_SECONDS = 1.0
"""Redis answers in well under a millisecond; one that takes a second is not answering."""


def connect(settings: Settings) -> Redis | None:
    """A client with its own connection pool (connections open on first use), or None.

    A pooled connection that Redis closed (it restarted) fails its next command; that command
    is tried again on a new connection instead of failing the request. A Redis that accepts
    connections but does not answer fails a command after TIMEOUT_SECONDS, not retried: the
    request waiting on it gets its 503 at once instead of after a minute and a half."""
    if not settings.redis_url:
        return None
    return Redis.from_url(
        settings.redis_url,
        decode_responses=True,
        health_check_interval=30,
        socket_timeout=TIMEOUT_SECONDS,
        socket_connect_timeout=TIMEOUT_SECONDS,
        retry=Retry(
            ExponentialBackoff(cap=1.0, base=0.05), retries=3, supported_errors=(ConnectionError,)
        ),
    )


class Subscription:
    """Hands every message on `channel` to `handle`, from `start()` until `close()`.

    After Redis was unreachable the client reconnects and subscribes again on its next read;
    whatever was published in between is lost, so `lost` is called to let the owner catch up."""

    def __init__(
        self,
        redis: Redis,
        channel: str,
        handle: Callable[[str], Awaitable[None]],
        lost: Callable[[], None] = lambda: None,
    ) -> None:
        self._redis = redis
        self._channel = channel
        self._handle = handle
        self._lost = lost
        self._listener: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Subscribed before returning, so nothing published after start-up is missed."""
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(self._channel)
        self._listener = asyncio.create_task(self._listen(pubsub), name=f"redis:{self._channel}")

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)

    async def _listen(self, pubsub: PubSub) -> None:
        try:
            while True:
                try:
                    async for message in pubsub.listen():
                        await self._handle(message["data"])
                except RedisError:
                    logger.warning("%s: Redis unreachable, retrying", self._channel, exc_info=True)
                    self._lost()
                    await asyncio.sleep(RECONNECT_SECONDS)
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py leaves it untyped
