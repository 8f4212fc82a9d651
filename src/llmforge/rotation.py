"""`llmforge rotate-encryption-key`: re-encrypt every stored secret with the newest key.

With keys from the environment, put the new key first (`LLMFORGE_ENCRYPTION_KEY=new,old`),
rotate, then drop the old one. With the embedded secrets file, a new key is generated and
written first, everything is re-encrypted, and only then is the old key removed from the file,
so an interruption at any point leaves every secret readable.
"""

import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import select

from llmforge.core.security import SecretBox
from llmforge.db import Base, create_engine, create_session_factory, transaction
from llmforge.providers.models import Provider
from llmforge.settings import Settings

ENCRYPTED_COLUMNS: tuple[tuple[type[Base], tuple[str, ...]], ...] = (
    (Provider, ("api_key_encrypted", "extra_headers_encrypted")),
)


@dataclass(frozen=True)
class RotationResult:
    secrets_rotated: int
    key_source: str


async def reencrypt_all(settings: Settings, box: SecretBox) -> int:
    engine = create_engine(settings.resolved_database_url)
    count = 0
    try:
        async with transaction(create_session_factory(engine)) as session:
            for model, columns in ENCRYPTED_COLUMNS:
                for row in await session.scalars(select(model)):
                    for column in columns:
                        if value := getattr(row, column):
                            setattr(row, column, box.rotate(value))
                            count += 1
    finally:
        await engine.dispose()
    return count


async def rotate_encryption_key(settings: Settings) -> RotationResult:
    if settings.encryption_key is not None:
        box = SecretBox(settings.encryption_key.get_secret_value())
        return RotationResult(await reencrypt_all(settings, box), "LLMFORGE_ENCRYPTION_KEY")
    path = settings.data_dir / "secrets.json"
    stored = dict(settings.secrets)
    newest = Fernet.generate_key().decode()
    _write_secrets(path, {**stored, "encryption_key": f"{newest},{stored['encryption_key']}"})
    count = await reencrypt_all(settings, SecretBox(f"{newest},{stored['encryption_key']}"))
    _write_secrets(path, {**stored, "encryption_key": newest})
    return RotationResult(count, str(path))


def _write_secrets(path: Path, values: dict[str, str]) -> None:
    """Replace the file atomically, never leaving it readable by others."""
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(values, handle)
    temporary.replace(path)
