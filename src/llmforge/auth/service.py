"""Sign-up, sign-in, token refresh with rotation and reuse detection, sign-out, password change."""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

import anyio
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from llmforge.admin import service as app_settings
from llmforge.audit import service as audit
from llmforge.auth import throttle
from llmforge.auth.models import RefreshToken
from llmforge.auth.schemas import PasswordChange, ProfileUpdate, RegisterRequest
from llmforge.core.client import ClientInfo
from llmforge.core.errors import BadRequest, Forbidden, Unauthorized
from llmforge.core.security import (
    create_access_token,
    hash_opaque_token,
    new_opaque_token,
    password_hasher,
    verify_password,
)
from llmforge.db import transaction, utcnow
from llmforge.settings import Settings
from llmforge.users import service as users
from llmforge.users.models import Role, User
from llmforge.users.schemas import UserCreate


@dataclass(frozen=True)
class IssuedTokens:
    user: User
    access_token: str
    expires_in: int
    refresh_token: str
    session_id: str


@dataclass(frozen=True)
class Identity:
    """The signed-in user and the login (refresh token family) their access token belongs to."""

    user: User
    session_id: str


@cache
def _make_decoy_hash() -> str:
    return password_hasher.hash(uuid.uuid4().hex)


async def _decoy_hash() -> str:
    """Verified against when the email is unknown, so both cases take the same time."""
    return await anyio.to_thread.run_sync(_make_decoy_hash)


def throttle_policy(settings: Settings) -> throttle.ThrottlePolicy:
    return throttle.ThrottlePolicy(
        max_per_account=settings.login_max_failures_per_account,
        max_per_ip=settings.login_max_failures_per_ip,
        window=timedelta(minutes=settings.login_window_minutes),
    )


async def register(
    session: AsyncSession, settings: Settings, data: RegisterRequest, client: ClientInfo
) -> User:
    if not (await app_settings.read(session, settings)).registration_open:
        raise Forbidden(
            "Registration is closed: ask an admin for an account.", code="registration_closed"
        )
    user = await users.create(
        session,
        UserCreate(
            email=data.email, password=data.password, display_name=data.display_name, role=Role.user
        ),
    )
    await audit.record(session, "auth.register", actor=user, client=client, target=user)
    return user


async def login(
    session: AsyncSession,
    factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    email: str,
    password: str,
    client: ClientInfo,
) -> IssuedTokens:
    await throttle.ensure_not_locked(session, email, client.ip)
    user = await users.get_by_email(session, email)
    matches, upgraded_hash = await verify_password(
        password, user.password_hash if user else await _decoy_hash()
    )
    if user is None or not matches:
        await _record_failed_login(factory, settings, email, user, client, "wrong_credentials")
        raise Unauthorized("Wrong email or password.", code="invalid_credentials")
    if not user.is_active:
        await _record_failed_login(factory, settings, email, user, client, "account_disabled")
        raise Forbidden(
            "This account is disabled. Ask an admin to enable it.", code="user_disabled"
        )
    if upgraded_hash:
        user.password_hash = upgraded_hash
    user.last_login_at = utcnow()
    await throttle.clear_account(session, email)
    tokens = await _issue(session, settings, user, family_id=str(uuid.uuid4()))
    await audit.record(session, "auth.login", actor=user, client=client, target=user)
    return tokens


async def _record_failed_login(
    factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    email: str,
    user: User | None,
    client: ClientInfo,
    reason: str,
) -> None:
    async with transaction(factory) as own:
        await throttle.record_failure(own, throttle_policy(settings), email, client.ip)
        await audit.record(
            own,
            "auth.login_failed",
            actor=None,
            actor_email=email,
            client=client,
            target_type="user" if user else None,
            target_id=str(user.id) if user else None,
            detail={"reason": reason},
        )


async def _issue(
    session: AsyncSession, settings: Settings, user: User, *, family_id: str
) -> IssuedTokens:
    refresh_token = new_opaque_token()
    session.add(
        RefreshToken(
            user_id=user.id,
            family_id=family_id,
            token_hash=hash_opaque_token(refresh_token),
            expires_at=utcnow() + timedelta(days=settings.refresh_token_days),
        )
    )
    await session.flush()
    lifetime = timedelta(minutes=settings.access_token_minutes)
    access_token = create_access_token(
        key=settings.jwt_key,
        user_id=user.id,
        role=user.role.value,
        session_id=family_id,
        lifetime=lifetime,
    )
    return IssuedTokens(
        user=user,
        access_token=access_token,
        expires_in=int(lifetime.total_seconds()),
        refresh_token=refresh_token,
        session_id=family_id,
    )


async def refresh(
    session: AsyncSession,
    factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    presented: str | None,
    client: ClientInfo,
    claimed_user_id: int | None = None,
) -> IssuedTokens:
    """Trade a refresh token for a new pair. A token used twice revokes its whole family."""
    invalid = Unauthorized(
        "Your session has ended. Please sign in again.", code="invalid_refresh_token"
    )
    if not presented:
        raise invalid
    token = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == hash_opaque_token(presented))
    )
    if token is None or token.revoked_at is not None or token.expires_at <= utcnow():
        raise invalid
    if claimed_user_id is not None and claimed_user_id != token.user_id:
        raise Unauthorized(
            "This session cookie belongs to another account. Please sign in again.",
            code="refresh_token_mismatch",
        )
    if token.rotated_at is not None:
        await _revoke_family_after_reuse(factory, token, client)
        raise invalid
    rotated = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == token.id, RefreshToken.rotated_at.is_(None))
        .values(rotated_at=utcnow())
    )
    if not getattr(rotated, "rowcount", 0):
        raise invalid  # a concurrent refresh with the same token won the race
    user = await session.get(User, token.user_id)
    if user is None or not user.is_active:
        raise invalid
    return await _issue(session, settings, user, family_id=token.family_id)


async def _revoke_family_after_reuse(
    factory: async_sessionmaker[AsyncSession], token: RefreshToken, client: ClientInfo
) -> None:
    async with transaction(factory) as own:
        await own.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == token.family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        owner = await own.get(User, token.user_id)
        await audit.record(
            own,
            "auth.refresh_reuse_detected",
            actor=None,
            actor_email=owner.email if owner else None,
            client=client,
            target=owner,
            detail={"family_id": token.family_id},
        )


async def logout(session: AsyncSession, identity: Identity, client: ClientInfo) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == identity.session_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    await audit.record(
        session, "auth.logout", actor=identity.user, client=client, target=identity.user
    )


async def change_password(
    session: AsyncSession, identity: Identity, data: PasswordChange, client: ClientInfo
) -> None:
    user = identity.user
    matches, _ = await verify_password(data.current_password, user.password_hash)
    if not matches:
        raise BadRequest("The current password is not correct.", code="wrong_password")
    await users.set_password(session, user, data.new_password)
    await users.revoke_sessions(session, user.id, keep_family=identity.session_id)
    await audit.record(session, "auth.password_change", actor=user, client=client, target=user)


async def update_profile(
    session: AsyncSession, user: User, changes: ProfileUpdate, client: ClientInfo
) -> User:
    if changes.display_name is not None and changes.display_name != user.display_name:
        user.display_name = changes.display_name
        await session.flush()
        await audit.record(
            session,
            "auth.profile_update",
            actor=user,
            client=client,
            target=user,
            detail={"display_name": changes.display_name},
        )
    return user


_LIVE_LOGIN = (
    select(RefreshToken.id)
    .where(
        RefreshToken.family_id == bindparam("session_id"),
        RefreshToken.user_id == bindparam("user_id"),
        RefreshToken.revoked_at.is_(None),
    )
    .exists()
)
_IDENTITY = select(User).where(
    User.id == bindparam("user_id"), User.is_active.is_(True), _LIVE_LOGIN
)
"""Built once: it runs on every authenticated request, and building it costs more than running."""


async def identity_for(session: AsyncSession, user_id: int, session_id: str) -> Identity | None:
    """The identity behind an access token, if its user is active and its login not revoked."""
    user = await session.scalar(_IDENTITY, {"user_id": user_id, "session_id": session_id})
    return Identity(user=user, session_id=session_id) if user else None
