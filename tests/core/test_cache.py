"""The read cache: what it keeps, for how long, and which commits empty it (real SQLite)."""

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from llmforge.core.cache import LEAVES_CACHE, ReadCache, RedisInvalidations, announced
from llmforge.core.redis import TIMEOUT_SECONDS
from llmforge.db import Base, create_engine, create_session_factory
from llmforge.prompts.models import PromptTemplate
from llmforge.users.models import Role, User
from tests.redis_server import silent_redis


class Loads:
    """A loader that counts its calls and returns what it is told."""

    def __init__(self, value: object = "row") -> None:
        self.value = value
        self.calls = 0

    async def __call__(self) -> object:
        self.calls += 1
        return self.value


def test_a_value_is_kept_until_invalidated_or_too_old() -> None:
    now = [0.0]
    cache = ReadCache(frozenset({"users"}), max_age=5, clock=lambda: now[0])
    load = Loads()

    async def scenario() -> None:
        assert await cache.get_or_load("k", load) == "row"
        assert await cache.get_or_load("k", load) == "row"
        assert load.calls == 1
        cache.invalidate()
        await cache.get_or_load("k", load)
        assert load.calls == 2
        now[0] = 4.9
        await cache.get_or_load("k", load)
        assert load.calls == 2
        now[0] = 5.0
        await cache.get_or_load("k", load)
        assert load.calls == 3

    asyncio.run(scenario())


def test_nothing_is_kept_for_none_or_for_a_load_overtaken_by_a_change() -> None:
    cache = ReadCache(frozenset({"users"}))
    unknown = Loads(None)
    released = asyncio.Event()

    async def slow() -> object:
        await released.wait()  # a commit empties the cache while this reads the old row
        return "old row"

    async def scenario() -> None:
        assert await cache.get_or_load("missing", unknown) is None
        assert await cache.get_or_load("missing", unknown) is None
        assert unknown.calls == 2
        reading = asyncio.create_task(cache.get_or_load("k", slow))
        await asyncio.sleep(0)
        cache.committed({"users"})
        released.set()
        assert await reading == "old row"  # the caller gets it, the cache does not keep it
        fresh = Loads("new row")
        assert await cache.get_or_load("k", fresh) == "new row"
        assert fresh.calls == 1

    asyncio.run(scenario())


async def _tracked(tmp_path: Path) -> tuple[ReadCache, async_sessionmaker[AsyncSession]]:
    """A cache watching `users`, and sessions on a fresh SQLite file that report to it."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'cache.sqlite'}")
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    cache = ReadCache(frozenset({"users"}))
    return cache, create_session_factory(engine, cache)


Work = Callable[[AsyncSession], Awaitable[object]]


async def _emptied_by(
    cache: ReadCache, factory: async_sessionmaker[AsyncSession], work: Work
) -> bool:
    load = Loads()
    await cache.get_or_load(work, load)
    async with factory() as session, session.begin():
        await work(session)
    await cache.get_or_load(work, load)
    return load.calls == 2


async def _add_user(session: AsyncSession) -> User:
    user = User(email="a@example.com", display_name="A", password_hash="x", role=Role.user)
    session.add(user)
    await session.flush()
    return user


async def _rename(session: AsyncSession) -> object:
    return await session.execute(update(User).values(email="b@example.com"))


async def _note(session: AsyncSession) -> object:
    statement = update(User).values(last_login_at=None)
    return await session.execute(statement.execution_options(**{LEAVES_CACHE: True}))


async def _add_prompt(session: AsyncSession) -> None:
    owner = await session.scalar(select(User.id))
    session.add(PromptTemplate(owner_id=owner, name="p", body="b"))


def test_commits_that_write_a_watched_table_empty_the_cache(tmp_path: Path) -> None:
    async def scenario() -> list[bool]:
        cache, factory = await _tracked(tmp_path)
        cache.announce_with(lambda: announced.append("sent"))
        return [
            await _emptied_by(cache, factory, work)
            for work in (_add_user, _rename, _note, _add_prompt)
        ]

    announced: list[str] = []
    assert asyncio.run(scenario()) == [True, True, False, False]
    assert announced == ["sent", "sent"]


def test_a_rolled_back_write_keeps_the_cache(tmp_path: Path) -> None:
    async def scenario() -> int:
        cache, factory = await _tracked(tmp_path)
        load = Loads()
        await cache.get_or_load("k", load)
        async with factory() as session:
            await _add_user(session)
            await session.rollback()
        async with factory() as session, session.begin():
            pass  # a later commit in a new session has nothing written
        await cache.get_or_load("k", load)
        return load.calls

    assert asyncio.run(scenario()) == 1


def test_a_commit_does_not_wait_long_for_a_redis_that_hangs(tmp_path: Path) -> None:
    """Redis accepts the connection and never answers: the change still holds in this process
    and the request goes on after the client's timeout (it waited 84 s with retries)."""

    async def scenario() -> int:
        cache, factory = await _tracked(tmp_path)
        load = Loads()
        await cache.get_or_load("k", load)
        async with silent_redis() as redis:
            RedisInvalidations(redis, cache)
            async with factory() as session:
                async with session.begin():
                    await _add_user(session)
                await asyncio.wait_for(announced(session), TIMEOUT_SECONDS * 10)
        await cache.get_or_load("k", load)
        return load.calls

    assert asyncio.run(scenario()) == 2  # emptied here at once, and the request went on


def test_the_request_waits_for_its_announcement_after_a_later_unwatched_commit(
    tmp_path: Path,
) -> None:
    """A session that commits a watched change and then an unwatched one (a request writing
    under `one_writer` commits twice) still waits for the first one's announcement."""

    async def scenario() -> list[str]:
        cache, factory = await _tracked(tmp_path)
        told: list[str] = []

        async def publish() -> None:
            await asyncio.sleep(0.05)
            told.append("published")

        cache.announce_with(lambda: asyncio.get_running_loop().create_task(publish()))
        async with factory() as session:
            await _add_user(session)
            await session.commit()
            await _add_prompt(session)
            await session.commit()
            await announced(session)
        return told

    assert asyncio.run(scenario()) == ["published"]
