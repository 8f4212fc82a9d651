"""`one_writer` queues SQLite writers of one process and leaves PostgreSQL alone."""

import asyncio
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from llmforge.db import create_engine, create_session_factory, one_writer, write_transaction
from tests.pg import PostgresCluster


async def overlapping_writers(url: str) -> list[str]:
    engine = create_engine(url)
    factory = create_session_factory(engine)
    order: list[str] = []

    async def write(name: str) -> None:
        async with factory() as session, one_writer(session):
            order.append(f"{name} in")
            await asyncio.sleep(0.02)
            order.append(f"{name} out")

    await asyncio.gather(write("a"), write("b"))
    await engine.dispose()
    return order


def test_sqlite_writers_take_turns(tmp_path: Path) -> None:
    order = asyncio.run(overlapping_writers(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"))
    assert order == ["a in", "a out", "b in", "b out"]


def test_postgresql_writers_are_not_queued(postgres: PostgresCluster) -> None:
    order = asyncio.run(overlapping_writers(postgres.create_database("one_writer")))
    assert order == ["a in", "b in", "a out", "b out"]


def test_a_reader_waiting_for_its_turn_does_not_starve_the_writer_of_connections(
    tmp_path: Path,
) -> None:
    async def scenario() -> list[str]:
        # One connection in the pool: the writer whose turn it is needs the one the reader took.
        url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
        engine = create_async_engine(url, pool_size=1, max_overflow=0, pool_timeout=2)
        factory = create_session_factory(engine)
        order: list[str] = []
        turn_taken = asyncio.Event()

        async def writer() -> None:
            async with write_transaction(factory) as session:
                turn_taken.set()
                await asyncio.sleep(0.05)  # the reader takes the connection meanwhile
                await session.execute(text("CREATE TABLE notes (body TEXT)"))
                order.append("writer wrote")

        async def reader() -> None:
            await turn_taken.wait()
            async with factory() as session:
                await session.execute(text("SELECT 1"))
                async with one_writer(session):
                    await session.execute(text("INSERT INTO notes VALUES ('after')"))
                    await session.commit()
                    order.append("reader wrote")

        await asyncio.gather(writer(), reader())
        await engine.dispose()
        return order

    assert asyncio.run(scenario()) == ["writer wrote", "reader wrote"]
