import json
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from llmforge.app import create_app
from llmforge.settings import ConfigurationError, Settings


def make(tmp_path: Path, **values: object) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path, **values)  # type: ignore[arg-type, call-arg]


def test_embedded_default_generates_secrets_once_with_mode_0600(tmp_path: Path) -> None:
    first = make(tmp_path).secrets
    path = tmp_path / "secrets.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert make(tmp_path).secrets == first
    Fernet(first["encryption_key"].encode())  # a usable encryption key
    assert json.loads(path.read_text()) == first


def test_env_secrets_take_precedence_and_write_no_file(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    settings = make(tmp_path, secret_key="k" * 48, encryption_key=key, env="production")
    assert settings.secrets == {"secret_key": "k" * 48, "encryption_key": key}
    assert not (tmp_path / "secrets.json").exists()


def test_production_refuses_generated_secrets_and_names_the_variable(tmp_path: Path) -> None:
    settings = make(tmp_path, env="production", secret_key="k" * 48)
    with pytest.raises(ConfigurationError, match="LLMFORGE_ENCRYPTION_KEY"):
        create_app(settings)
    assert not (tmp_path / "secrets.json").exists()


def test_cookie_security_follows_the_public_url(tmp_path: Path) -> None:
    assert not make(tmp_path).secure_cookies
    assert not make(tmp_path, public_url="http://localhost:8000").secure_cookies
    assert make(tmp_path, public_url="https://llm.example.com").secure_cookies
    assert make(tmp_path, public_url="http://llm.internal:8000").secure_cookies
    assert make(tmp_path, public_url="http://127.0.0.1:8000", cookie_secure=True).secure_cookies


def test_database_url_defaults_to_the_data_dir(tmp_path: Path) -> None:
    assert make(tmp_path).resolved_database_url == f"sqlite+aiosqlite:///{tmp_path / 'llmforge.db'}"
    assert make(tmp_path, database_url="postgresql+asyncpg://db/x").is_sqlite is False
