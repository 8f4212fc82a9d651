"""Alembic environment: async engine, batch mode on SQLite, URL from llmforge settings."""

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from llmforge.db import create_engine
from llmforge.models import Base
from llmforge.settings import Settings

config = context.config
target_metadata = Base.metadata


def database_url() -> str:
    explicit = config.attributes.get("database_url")
    return str(explicit) if explicit else Settings().resolved_database_url


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    engine = create_engine(database_url())
    async with engine.connect() as connection:
        await connection.run_sync(run_migrations)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(run_async_migrations())
