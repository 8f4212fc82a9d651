"""The audit log: append-only. Nothing here updates or deletes an entry."""

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from llmforge.audit.models import AuditEntry
from llmforge.audit.schemas import AuditFilter
from llmforge.core.client import ClientInfo
from llmforge.core.pagination import PageParams, paginate
from llmforge.users.models import User


async def record(
    session: AsyncSession,
    action: str,
    *,
    actor: User | None,
    client: ClientInfo,
    target: User | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    detail: dict[str, Any] | None = None,
    actor_email: str | None = None,
) -> None:
    """Add one entry to the caller's transaction; it is written if and only if the action is."""
    if target is not None:
        target_type, target_id = "user", str(target.id)
    session.add(
        AuditEntry(
            actor_id=actor.id if actor else None,
            actor_email=actor.email if actor else actor_email,
            action=action,
            target_type=target_type,
            target_id=target_id,
            ip=client.ip,
            user_agent=client.user_agent,
            detail=detail or {},
        )
    )
    await session.flush()


def _filtered(criteria: AuditFilter) -> Select[AuditEntry]:
    statement = select(AuditEntry)
    if criteria.actor:
        actor = criteria.actor.strip()
        if actor.isdigit():
            statement = statement.where(AuditEntry.actor_id == int(actor))
        else:
            statement = statement.where(AuditEntry.actor_email.contains(actor.lower()))
    if criteria.action:
        statement = statement.where(AuditEntry.action == criteria.action)
    if criteria.since:
        statement = statement.where(AuditEntry.created_at >= criteria.since)
    if criteria.until:
        statement = statement.where(AuditEntry.created_at <= criteria.until)
    return statement


async def search(
    session: AsyncSession, criteria: AuditFilter, params: PageParams
) -> tuple[list[AuditEntry], int]:
    statement = _filtered(criteria).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    return await paginate(session, statement, params)


async def distinct_actions(session: AsyncSession) -> list[str]:
    rows = await session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action))
    return list(rows)
