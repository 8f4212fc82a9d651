"""The first admin account: from LLMFORGE_ADMIN_EMAIL / LLMFORGE_ADMIN_PASSWORD, or generated."""

import secrets
from dataclasses import dataclass

from sqlalchemy import func, select

from llmforge.chat.service import mark_abandoned_streams
from llmforge.compare.service import mark_abandoned_lanes
from llmforge.db import create_engine, create_session_factory, transaction
from llmforge.settings import Settings
from llmforge.users import service as users
from llmforge.users.models import Role, User
from llmforge.users.schemas import UserCreate


@dataclass(frozen=True)
class CreatedAdmin:
    email: str
    generated_password: str | None


async def ensure_first_admin(settings: Settings) -> CreatedAdmin | None:
    """Create an admin when there is none yet; return what was created (None if nothing)."""
    engine = create_engine(settings.resolved_database_url)
    try:
        async with transaction(create_session_factory(engine)) as session:
            admins = await session.scalar(
                select(func.count()).select_from(User).where(User.role == Role.admin)
            )
            if admins:
                return None
            given = settings.admin_password.get_secret_value() if settings.admin_password else None
            password = given or secrets.token_urlsafe(12)
            data = UserCreate(email=settings.admin_email, password=password, role=Role.admin)
            await users.create(session, data)
            return CreatedAdmin(email=data.email, generated_password=None if given else password)
    finally:
        await engine.dispose()


async def recover_interrupted_work(settings: Settings) -> int:
    """Before serving: what was in flight when the server last stopped is marked as such."""
    engine = create_engine(settings.resolved_database_url)
    try:
        async with transaction(create_session_factory(engine)) as session:
            return await mark_abandoned_streams(session) + await mark_abandoned_lanes(session)
    finally:
        await engine.dispose()


async def create_admin(settings: Settings, email: str, password: str) -> User:
    engine = create_engine(settings.resolved_database_url)
    try:
        async with transaction(create_session_factory(engine)) as session:
            return await users.create(
                session, UserCreate(email=email, password=password, role=Role.admin)
            )
    finally:
        await engine.dispose()
