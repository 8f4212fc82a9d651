"""Run Alembic migrations programmatically (the CLI, `serve` and the tests use this)."""

from pathlib import Path

from alembic import command
from alembic.config import Config

from llmforge.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def alembic_config(settings: Settings) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = settings.resolved_database_url
    return config


def upgrade(settings: Settings, revision: str = "heads") -> None:
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(settings), revision)


def downgrade(settings: Settings, revision: str) -> None:
    command.downgrade(alembic_config(settings), revision)
