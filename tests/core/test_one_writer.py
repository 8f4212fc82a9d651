"""`one_writer` queues SQLite writers of one process and leaves PostgreSQL alone."""

import asyncio
from pathlib import Path

from llmforge.db import create_engine, create_session_factory, one_writer
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
