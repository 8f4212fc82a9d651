"""Migrations upgrade an empty database to head and downgrade one step, on both backends."""

import asyncio
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from llmforge.db import create_engine
from llmforge.migrate import downgrade, upgrade
from llmforge.models import Base
from llmforge.settings import Settings
from tests.pg import PostgresCluster, free_port


def table_names(settings: Settings) -> set[str]:
    async def names() -> set[str]:
        engine = create_engine(settings.resolved_database_url)
        async with engine.connect() as connection:
            found = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        await engine.dispose()
        return found

    return asyncio.run(names())


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    if request.param == "sqlite":
        return Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    url = cluster.create_database(f"migrations_{free_port()}")
    return Settings(_env_file=None, data_dir=tmp_path, database_url=url)  # type: ignore[call-arg]


def current_revisions(settings: Settings) -> set[str]:
    async def heads() -> set[str]:
        engine = create_engine(settings.resolved_database_url)
        async with engine.connect() as connection:
            found = await connection.run_sync(
                lambda sync: set(MigrationContext.configure(sync).get_current_heads())
            )
        await engine.dispose()
        return found

    return asyncio.run(heads())


def test_upgrade_from_empty_downgrade_one_step_and_all_the_way(empty_database: Settings) -> None:
    upgrade(empty_database)
    at_head = table_names(empty_database)
    assert set(Base.metadata.tables) <= at_head
    head_revisions = current_revisions(empty_database)
    downgrade(empty_database, "-1")
    assert current_revisions(empty_database) != head_revisions
    assert "users" in table_names(empty_database)
    downgrade(empty_database, "base")  # every migration's downgrade runs
    assert table_names(empty_database) <= {"alembic_version"}
    upgrade(empty_database)
    assert table_names(empty_database) == at_head
    assert current_revisions(empty_database) == head_revisions


def test_models_and_migrations_agree(empty_database: Settings) -> None:
    """A model change without a migration fails here (alembic's autogenerate finds a diff)."""
    upgrade(empty_database)

    async def diff() -> list[object]:
        engine = create_engine(empty_database.resolved_database_url)
        async with engine.connect() as connection:
            result = await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata
                )
            )
        await engine.dispose()
        return list(result)

    assert asyncio.run(diff()) == []
