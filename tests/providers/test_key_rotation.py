import asyncio
import json
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from llmforge.core.security import SecretBox, SecretUnreadable
from llmforge.db import create_engine, create_session_factory, transaction
from llmforge.migrate import upgrade
from llmforge.providers.models import Provider
from llmforge.providers.schemas import ProviderCreate
from llmforge.providers.service import create_provider, provider_config
from llmforge.rotation import rotate_encryption_key
from llmforge.settings import Settings


def settings_for(tmp_path: Path, **values: object) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path, **values)  # type: ignore[arg-type, call-arg]


async def add_provider(settings: Settings, box: SecretBox) -> None:
    engine = create_engine(settings.resolved_database_url)
    async with transaction(create_session_factory(engine)) as session:
        data = ProviderCreate(
            name="p", preset="openai", api_key="sk-rotate-me-1234", extra_headers={"X-A": "b"}
        )
        await create_provider(session, box, data)
    await engine.dispose()


async def stored_provider(settings: Settings) -> Provider:
    engine = create_engine(settings.resolved_database_url)
    async with create_session_factory(engine)() as session:
        provider = (await session.scalars(select(Provider))).one()
    await engine.dispose()
    return provider


def test_rotation_with_the_embedded_secrets_file(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    upgrade(settings)
    old_key = settings.secrets["encryption_key"]
    asyncio.run(add_provider(settings, SecretBox(old_key)))

    result = asyncio.run(rotate_encryption_key(settings))
    assert result.secrets_rotated == 2
    new_key = json.loads((tmp_path / "secrets.json").read_text())["encryption_key"]
    assert new_key != old_key and "," not in new_key
    assert stat.S_IMODE((tmp_path / "secrets.json").stat().st_mode) == 0o600

    provider = asyncio.run(stored_provider(settings_for(tmp_path)))
    config = provider_config(provider, SecretBox(new_key))
    assert config.secret() == "sk-rotate-me-1234" and config.extra_headers == {"X-A": "b"}
    with pytest.raises(SecretUnreadable):
        SecretBox(old_key).decrypt(provider.api_key_encrypted or "")


def test_rotation_with_keys_from_the_environment(tmp_path: Path) -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    before = settings_for(tmp_path, encryption_key=old_key, secret_key="s" * 40)
    upgrade(before)
    asyncio.run(add_provider(before, SecretBox(old_key)))
    during = settings_for(tmp_path, encryption_key=f"{new_key},{old_key}", secret_key="s" * 40)
    assert asyncio.run(rotate_encryption_key(during)).secrets_rotated == 2
    provider = asyncio.run(stored_provider(during))
    assert SecretBox(new_key).decrypt(provider.api_key_encrypted or "") == "sk-rotate-me-1234"
    assert not (tmp_path / "secrets.json").exists()
