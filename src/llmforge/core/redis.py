"""The Redis that the server processes of one deployment share (`LLMFORGE_REDIS_URL`).

Without it everything that Redis would share lives in the memory of the one process, which is
the embedded default; `llmforge serve --workers N` with N > 1 requires it."""

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError, TimeoutError

from llmforge.settings import Settings


def connect(settings: Settings) -> Redis | None:
    """A client with its own connection pool (connections open on first use), or None.

    A pooled connection that Redis closed (it restarted) fails its next command; that command
    is tried again on a new connection instead of failing the request."""
    if not settings.redis_url:
        return None
    return Redis.from_url(
        settings.redis_url,
        decode_responses=True,
        health_check_interval=30,
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=3),
        retry_on_error=[ConnectionError, TimeoutError],
    )
