"""Accounts: creation, lookup, administration; password policy and last-admin protection."""

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from llmforge.auth.models import RefreshToken
from llmforge.core.errors import Conflict, InvalidInput, NotFound
from llmforge.core.pagination import PageParams, paginate
from llmforge.core.security import hash_password
from llmforge.db import utcnow
from llmforge.users.models import Role, User
from llmforge.users.schemas import UserCreate, UserUpdate


def check_password_policy(password: str, email: str) -> None:
    if password.strip().lower() == email.lower():
        raise InvalidInput(
            "The password must not be the same as the email address.", code="weak_password"
        )


async def get_by_email(session: AsyncSession, email: str) -> User | None:
    user: User | None = await session.scalar(select(User).where(User.email == email))
    return user


async def get(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(f"User {user_id} does not exist.", code="user_not_found")
    return user


async def create(session: AsyncSession, data: UserCreate) -> User:
    check_password_policy(data.password, data.email)
    if await get_by_email(session, data.email):
        raise Conflict("An account with this email already exists.", code="email_taken")
    user = User(
        email=data.email,
        display_name=data.display_name or data.email.split("@")[0],
        password_hash=await hash_password(data.password),
        role=data.role,
        is_active=True,
    )
    session.add(user)
    await session.flush()
    return user


def _search_statement(query: str | None, role: Role | None, is_active: bool | None) -> Select[User]:
    statement = select(User)
    if query:
        needle = query.strip().lower()
        statement = statement.where(
            or_(
                User.email.contains(needle, autoescape=True),
                func.lower(User.display_name).contains(needle, autoescape=True),
            )
        )
    if role is not None:
        statement = statement.where(User.role == role)
    if is_active is not None:
        statement = statement.where(User.is_active == is_active)
    return statement.order_by(User.created_at.desc(), User.id.desc())


async def search(
    session: AsyncSession,
    params: PageParams,
    *,
    query: str | None = None,
    role: Role | None = None,
    is_active: bool | None = None,
) -> tuple[list[User], int]:
    return await paginate(session, _search_statement(query, role, is_active), params)


async def _ensure_another_active_admin(session: AsyncSession, user: User) -> None:
    if user.role is not Role.admin or not user.is_active:
        return
    others = await session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.role == Role.admin, User.is_active.is_(True), User.id != user.id)
    )
    if not others:
        raise Conflict(
            "This is the last active admin: make another user admin first.", code="last_admin"
        )


async def update_user(session: AsyncSession, user: User, changes: UserUpdate) -> dict[str, object]:
    """Apply the changes; return {field: new value} for what actually changed."""
    fields = changes.model_dump(exclude_unset=True, exclude_none=True)
    changed = {name: value for name, value in fields.items() if getattr(user, name) != value}
    demoting = changed.get("role") == Role.user
    if demoting or changed.get("is_active") is False:
        await _ensure_another_active_admin(session, user)
    for name, value in changed.items():
        setattr(user, name, value)
    if changed.get("is_active") is False:
        await revoke_sessions(session, user.id)
    await session.flush()
    return changed


async def set_password(session: AsyncSession, user: User, password: str) -> None:
    check_password_policy(password, user.email)
    user.password_hash = await hash_password(password)
    await session.flush()


async def delete_user(session: AsyncSession, user: User) -> None:
    await _ensure_another_active_admin(session, user)
    await session.delete(user)
    await session.flush()


async def revoke_sessions(
    session: AsyncSession, user_id: int, *, keep_family: str | None = None
) -> None:
    """Revoke the user's refresh tokens (all, or all but one login's) so they cannot refresh."""
    statement = update(RefreshToken).where(
        RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None)
    )
    if keep_family is not None:
        statement = statement.where(RefreshToken.family_id != keep_family)
    await session.execute(statement.values(revoked_at=utcnow()))


async def count(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(User)) or 0
