"""The `llmforge` command, run as a user would run it: a real process with a real environment."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from llmforge import __version__


def llmforge(
    tmp_path: Path, *args: str, input_text: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "LLMFORGE_DATA_DIR": str(tmp_path), **env}
    environment.pop("LLMFORGE_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "llmforge", *args],
        capture_output=True,
        text=True,
        env=environment,
        input=input_text,
        timeout=120,
        cwd=tmp_path,
    )


def test_version(tmp_path: Path) -> None:
    result = llmforge(tmp_path, "version")
    assert result.returncode == 0 and result.stdout.strip() == __version__


def test_migrate_then_create_admin(tmp_path: Path) -> None:
    assert llmforge(tmp_path, "migrate").returncode == 0
    assert (tmp_path / "llmforge.db").exists()
    created = llmforge(
        tmp_path, "create-admin", "--email", "Boss@Example.com", "--password", "boss password"
    )
    assert created.returncode == 0, created.stderr
    assert "Created admin boss@example.com" in created.stdout
    again = llmforge(
        tmp_path, "create-admin", "--email", "boss@example.com", "--password", "x" * 10
    )
    assert again.returncode == 1 and "already exists" in again.stderr
    weak = llmforge(tmp_path, "create-admin", "--email", "new@example.com", "--password", "short")
    assert weak.returncode == 1 and "Invalid input" in weak.stderr


def test_create_admin_prompts_for_the_password(tmp_path: Path) -> None:
    result = llmforge(
        tmp_path,
        "create-admin",
        "--email",
        "p@example.com",
        input_text="prompted pw\nprompted pw\n",
    )
    assert result.returncode == 0, result.stderr


def test_migrate_downgrade(tmp_path: Path) -> None:
    assert llmforge(tmp_path, "migrate").returncode == 0
    down = llmforge(tmp_path, "migrate", "--downgrade", "base")
    assert down.returncode == 0 and "Downgraded to base" in down.stdout


def test_production_without_secrets_exits_with_a_clear_message(tmp_path: Path) -> None:
    result = llmforge(tmp_path, "migrate", LLMFORGE_ENV="production")
    assert result.returncode == 2
    assert "LLMFORGE_SECRET_KEY" in result.stderr and "LLMFORGE_ENCRYPTION_KEY" in result.stderr


def test_several_workers_need_redis_and_a_qdrant_server(tmp_path: Path) -> None:
    result = llmforge(tmp_path, "serve", "--workers", "2", LLMFORGE_QDRANT_URL="")
    assert result.returncode == 2
    assert "LLMFORGE_REDIS_URL" in result.stderr and "LLMFORGE_QDRANT_URL" in result.stderr
    assert not (tmp_path / "llmforge.db").exists(), "it refused before migrating"
    half = llmforge(tmp_path, "serve", "--workers", "2", LLMFORGE_REDIS_URL="redis://127.0.0.1:1")
    assert half.returncode == 2
    assert "LLMFORGE_REDIS_URL" not in half.stderr and "LLMFORGE_QDRANT_URL" in half.stderr


def test_a_redis_url_of_another_scheme_is_a_configuration_error(tmp_path: Path) -> None:
    result = llmforge(tmp_path, "migrate", LLMFORGE_REDIS_URL="http://127.0.0.1:6379")
    assert result.returncode == 2
    assert "redis://" in result.stderr


def test_openapi_is_printed(tmp_path: Path) -> None:
    result = llmforge(tmp_path, "openapi")
    assert result.returncode == 0 and '"/api/auth/login"' in result.stdout


@pytest.mark.parametrize("given_password", [True, False])
def test_first_admin_is_created_once(tmp_path: Path, given_password: bool) -> None:
    import asyncio

    from llmforge.bootstrap import ensure_first_admin
    from llmforge.migrate import upgrade
    from llmforge.settings import Settings

    extra = {"admin_password": "first admin pw"} if given_password else {}
    settings = Settings(_env_file=None, data_dir=tmp_path, admin_email="first@example.com", **extra)  # type: ignore[arg-type, call-arg]
    upgrade(settings)
    created = asyncio.run(ensure_first_admin(settings))
    assert created is not None and created.email == "first@example.com"
    assert (created.generated_password is None) == given_password
    assert asyncio.run(ensure_first_admin(settings)) is None
