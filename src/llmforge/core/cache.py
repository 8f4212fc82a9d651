"""A process-local cache for rows that hot paths read on every request and that rarely change
(API keys, their owners, the model catalogue, budgets' limits).

Correctness comes from invalidation, not from expiry: a session made by
`db.create_session_factory(engine, cache)` reports the tables each committed transaction
wrote, and a commit that wrote a watched table empties the cache at once. With Redis the
commit is also published on `INVALIDATE_CHANNEL`, and every other server process empties its
cache on receipt. Entries also expire after `max_age` seconds; that bounds how long a change
can go unseen when nothing could announce it (a command-line tool writing from another
process without Redis, or a message lost while Redis restarted)."""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import uuid4

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction, object_mapper

from llmforge.core.redis import Subscription

logger = logging.getLogger("llmforge.cache")
T = TypeVar("T")

MAX_AGE_SECONDS = 5.0
MAX_ENTRIES = 10_000
INVALIDATE_CHANNEL = "llmforge:cache:invalidate"
LEAVES_CACHE = "llmforge_leaves_cache"
"""Execution option for a write that no cached reader depends on (an API key's last use)."""
_CHANGED = "llmforge_changed_tables"
_CACHE = "llmforge_read_cache"
_ANNOUNCING = "llmforge_announcing"


@dataclass(frozen=True)
class _Entry:
    value: Any
    generation: int
    stored_at: float


class ReadCache:
    def __init__(
        self,
        tables: frozenset[str],
        *,
        max_age: float = MAX_AGE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tables = tables
        self._max_age = max_age
        self._clock = clock
        self._entries: dict[Hashable, _Entry] = {}
        self._generation = 0
        self._announce: Callable[[], Awaitable[None] | None] | None = None

    async def get_or_load(self, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        """The cached value, else `load()`'s. None is never kept: an unknown API key must not
        take memory. A value loaded while a change was committed is returned but not kept,
        since it may predate the change."""
        entry = self._entries.get(key)
        if (
            entry is not None
            and entry.generation == self._generation
            and self._clock() - entry.stored_at < self._max_age
        ):
            return entry.value  # type: ignore[no-any-return]  # what load() gave for this key
        generation = self._generation
        value = await load()
        if value is not None and generation == self._generation:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = _Entry(value, generation, self._clock())
        return value

    def invalidate(self) -> None:
        self._generation += 1
        self._entries.clear()

    def announce_with(self, announce: Callable[[], Awaitable[None] | None]) -> None:
        """Also tell other processes (called after this process's cache was emptied)."""
        self._announce = announce

    def committed(self, tables: set[str]) -> Awaitable[None] | None:
        """Empty the cache if a watched table was written; the announcement under way, if any."""
        if tables.isdisjoint(self.tables):
            return None
        self.invalidate()
        return self._announce() if self._announce is not None else None


class TrackedSession(Session):
    """A session that tells its cache (in `info`) which tables a committed transaction wrote."""


def session_info(cache: ReadCache) -> dict[str, Any]:
    return {_CACHE: cache}


def _written(session: Session) -> set[str]:
    return session.info.setdefault(_CHANGED, set())  # type: ignore[no-any-return]


@event.listens_for(TrackedSession, "after_flush")
def _note_flushed(session: Session, _: UOWTransaction) -> None:
    for instance in (*session.new, *session.dirty, *session.deleted):
        _written(session).update(table.name for table in object_mapper(instance).tables)


@event.listens_for(TrackedSession, "do_orm_execute")
def _note_statement(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    if not state.execution_options.get(LEAVES_CACHE):
        _written(state.session).add(state.statement.table.name)  # type: ignore[attr-defined]


@event.listens_for(TrackedSession, "after_commit")
def _report_commit(session: Session) -> None:
    written = session.info.pop(_CHANGED, None)
    cache = session.info.get(_CACHE)
    if written and cache is not None:
        announcing = cache.committed(written)
        if announcing is not None:  # a later commit of the same session may write nothing watched
            session.info[_ANNOUNCING] = announcing


async def announced(session: AsyncSession) -> None:
    """Wait until the other processes were told of what this session committed, so that a
    change (a revoked key) holds everywhere once its request has been answered."""
    announcing = session.info.pop(_ANNOUNCING, None)
    if announcing is not None:
        await announcing


@event.listens_for(TrackedSession, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_CHANGED, None)


class RedisInvalidations:
    """Empties every other process's cache when this one's commit emptied its own."""

    def __init__(self, redis: Redis, cache: ReadCache) -> None:
        self._redis = redis
        self._cache = cache
        self._sender = uuid4().hex
        self._pending: set[asyncio.Task[None]] = set()
        self._subscription = Subscription(
            redis, INVALIDATE_CHANNEL, self._received, lost=cache.invalidate
        )
        cache.announce_with(self._announce)

    async def start(self) -> None:
        await self._subscription.start()

    async def close(self) -> None:
        await asyncio.gather(*self._pending, return_exceptions=True)
        await self._subscription.close()

    def _announce(self) -> asyncio.Task[None]:  # called from a synchronous commit hook
        task = asyncio.get_running_loop().create_task(self._publish())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        return task

    async def _publish(self) -> None:
        try:
            await self._redis.publish(INVALIDATE_CHANNEL, self._sender)
        except RedisError:  # the others' entries expire within their max age
            logger.warning("could not announce a cache invalidation", exc_info=True)

    async def _received(self, sender: str) -> None:
        if sender != self._sender:
            self._cache.invalidate()
