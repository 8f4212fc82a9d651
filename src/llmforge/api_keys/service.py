"""Creating, listing and revoking a user's API keys, and recognising a presented key."""

import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from llmforge.api_keys.models import ApiKey
from llmforge.api_keys.schemas import ApiKeyCreate
from llmforge.core.cache import LEAVES_CACHE
from llmforge.core.errors import InvalidInput, NotFound
from llmforge.core.security import hash_opaque_token
from llmforge.db import utcnow, write_transaction
from llmforge.gateway.catalog import catalog
from llmforge.users.models import User

SECRET_PREFIX = "lf-"  # noqa: S105 - the marker of every key, not a secret
SHOWN_PREFIX_LENGTH = 10
LAST_USED_RESOLUTION = timedelta(minutes=1)
"""last_used_at is written at most this often per key: no write per request."""


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


async def _check_allowlist(session: AsyncSession, user: User, names: list[str]) -> list[str]:
    known = {entry.name for entry in await catalog(session, user)}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise InvalidInput(
            f"Not a model you may use: {', '.join(unknown)}. Use the names /v1/models lists.",
            code="unknown_model",
            details={"unknown": unknown},
        )
    return list(dict.fromkeys(names))


async def create_key(session: AsyncSession, user: User, data: ApiKeyCreate) -> tuple[ApiKey, str]:
    if data.expires_at is not None and data.expires_at <= utcnow():
        raise InvalidInput("The expiry must lie in the future.", code="expiry_in_past")
    allowlist = await _check_allowlist(session, user, data.model_allowlist)
    secret = new_secret()
    key = ApiKey(
        user_id=user.id,
        name=data.name,
        prefix=secret[:SHOWN_PREFIX_LENGTH],
        secret_hash=hash_opaque_token(secret),
        expires_at=data.expires_at,
        model_allowlist=allowlist,
        rate_limit_per_minute=data.rate_limit_per_minute,
    )
    session.add(key)
    await session.flush()
    return key, secret


async def list_keys(session: AsyncSession, user: User) -> list[ApiKey]:
    rows = await session.scalars(
        select(ApiKey).where(ApiKey.user_id == user.id).order_by(ApiKey.id.desc())
    )
    return list(rows)


async def owned_key(session: AsyncSession, user: User, key_id: int) -> ApiKey:
    key = await session.get(ApiKey, key_id)
    if key is None or key.user_id != user.id:
        raise NotFound(f"API key {key_id} does not exist.", code="api_key_not_found")
    return key


async def revoke_key(session: AsyncSession, key: ApiKey) -> ApiKey:
    key.revoked_at = key.revoked_at or utcnow()
    await session.flush()
    return key


async def delete_key(session: AsyncSession, key: ApiKey) -> None:
    await session.delete(key)
    await session.flush()


async def find_key(session: AsyncSession, secret: str) -> tuple[ApiKey, User] | None:
    """The key with this secret and its owner, whatever their state."""
    if not secret.startswith(SECRET_PREFIX):
        return None
    row = (
        await session.execute(
            select(ApiKey, User)
            .join(User, User.id == ApiKey.user_id)
            .where(ApiKey.secret_hash == hash_opaque_token(secret))
        )
    ).first()
    return (row[0], row[1]) if row else None


async def note_use(factory: async_sessionmaker[AsyncSession], key: ApiKey) -> None:
    """Record that the key was used, unless that was noted less than a minute ago."""
    now = utcnow()
    if key.last_used_at is not None and now - key.last_used_at < LAST_USED_RESOLUTION:
        return
    set_committed_value(key, "last_used_at", now)  # also the cached copy, without a flush
    async with write_transaction(factory) as session:
        await session.execute(
            update(ApiKey)
            .where(ApiKey.id == key.id)
            .values(last_used_at=now)
            .execution_options(**{LEAVES_CACHE: True})
        )
