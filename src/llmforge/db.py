"""Async database access: engine, the request-scoped session that owns the transaction, Base."""

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar
from weakref import WeakKeyDictionary

from fastapi import Depends, Request
from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from llmforge.core.cache import ReadCache, TrackedSession, announced, session_info
from llmforge.core.errors import DatabaseUnavailable

logger = logging.getLogger("llmforge.db")
T = TypeVar("T")
POOL_SIZE = 10
"""Connections kept open. For SQLite too: below the number of requests in flight, every
request beyond it opened and closed a connection (and aiosqlite a thread) of its own."""
POOL_OVERFLOW = 20

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes on every backend (SQLite keeps no zone, so UTC is restored)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


def _configure_sqlite(dbapi_connection: Any, _: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # With WAL, NORMAL syncs at checkpoints instead of every commit: still crash-safe, and a
    # commit no longer waits for the disk (a power cut may lose the last commits, not corrupt).
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _connect_or_unavailable(dialect: Dialect, _: Any, cargs: Any, cparams: Any) -> Any:
    """A failure to connect (the server is down, restarting or refusing) is raised as the
    database being unavailable, a 503, instead of the driver's bare error (a 500)."""
    try:
        return dialect.connect(*cargs, **cparams)
    except Exception as exc:
        logger.warning("cannot connect to the database: %r", exc)
        raise DatabaseUnavailable from exc


def unreachable(exc: BaseException) -> bool:
    """The database could not be reached, or dropped the connection mid-transaction."""
    return isinstance(exc, DatabaseUnavailable) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    )


async def retry_while_unreachable(work: Callable[[], Awaitable[T]], *, within: float) -> T:
    """`work()`, again while the database is unreachable (a PostgreSQL restart takes a
    moment), for up to `within` seconds, then DatabaseUnavailable. `work` opens its own
    transaction each time."""
    deadline, delay = time.monotonic() + within, 0.05
    while True:
        try:
            return await work()
        except Exception as exc:
            if not unreachable(exc):
                raise
            if time.monotonic() + delay > deadline:
                raise DatabaseUnavailable from exc
            logger.warning("database unreachable; trying again in %.2f s: %r", delay, exc)
        await asyncio.sleep(delay)
        delay = min(delay * 2, 1.0)


def create_engine(url: str, pool_timeout: float = 30.0) -> AsyncEngine:
    """`pool_timeout`: how long a request waits for a free connection (then 503 server_busy)."""
    if url.startswith("sqlite"):
        engine = create_async_engine(
            url, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW, pool_timeout=pool_timeout
        )
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
        return engine
    # pre-ping: a pooled connection the server dropped (it restarted) is replaced, not used
    engine = create_async_engine(
        url,
        pool_pre_ping=True,
        pool_size=POOL_SIZE,
        max_overflow=POOL_OVERFLOW,
        pool_timeout=pool_timeout,
    )
    event.listen(engine.sync_engine, "do_connect", _connect_or_unavailable)
    return engine


def create_session_factory(
    engine: AsyncEngine, cache: ReadCache | None = None
) -> async_sessionmaker[AsyncSession]:
    """Sessions that empty `cache` when a commit wrote one of the tables it watches."""
    if cache is None:
        return async_sessionmaker(engine, expire_on_commit=False)
    return async_sessionmaker(
        engine,
        expire_on_commit=False,
        sync_session_class=TrackedSession,
        info=session_info(cache),
    )


@asynccontextmanager
async def transaction(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session of its own that commits on success: for work that must outlive the request's."""
    async with factory() as session, session.begin():
        yield session


_SQLITE_WRITERS: WeakKeyDictionary[Engine, asyncio.Lock] = WeakKeyDictionary()


@asynccontextmanager
async def one_writer(session: AsyncSession) -> AsyncIterator[None]:
    """Queue this process's writers to an SQLite database, in order; write and commit inside.

    SQLite takes one writer at a time and makes the others sleep and retry in their threads
    (busy_timeout); under a burst of chat streams those sleeps add up to seconds and end in
    "database is locked". Waiting here costs nothing until the turn comes. What the session
    read so far is committed first, giving its connection back: no one holds a connection while
    waiting, so the writer whose turn it is always gets one. PostgreSQL writes concurrently, so
    there it does nothing.
    """
    engine = session.get_bind().engine
    if engine.dialect.name != "sqlite":
        yield
        return
    await session.commit()
    async with _SQLITE_WRITERS.setdefault(engine, asyncio.Lock()):
        yield


@asynccontextmanager
async def write_transaction(
    factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """`transaction` for the hot write paths: writes and commit happen under `one_writer`."""
    async with factory() as session, one_writer(session), _committed(session):
        yield session


@asynccontextmanager
async def _committed(session: AsyncSession) -> AsyncIterator[None]:
    try:
        yield
        await session.commit()
    except BaseException:
        await session.rollback()
        raise


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's session: commit when the handler succeeds, roll back when it raises."""
    factory: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    async with factory() as session:
        async with _committed(session):
            yield session
        await announced(session)


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
