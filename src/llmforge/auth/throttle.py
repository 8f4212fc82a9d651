"""Login throttling: too many failures for one account or from one address lock further tries.

The lock applies whether or not the next password is right, so guessing cannot continue.
Failures are recorded in a transaction of their own: the failed request itself rolls back.
"""

from dataclasses import dataclass
from datetime import timedelta
from math import ceil

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from llmforge.auth.models import LoginThrottle, ThrottleKind
from llmforge.core.errors import TooManyRequests
from llmforge.db import utcnow


@dataclass(frozen=True)
class ThrottlePolicy:
    max_per_account: int
    max_per_ip: int
    window: timedelta

    def limit(self, kind: ThrottleKind) -> int:
        return self.max_per_account if kind is ThrottleKind.account else self.max_per_ip


def _keys(email: str, ip: str | None) -> list[tuple[ThrottleKind, str]]:
    keys = [(ThrottleKind.account, email)]
    if ip:
        keys.append((ThrottleKind.ip, ip))
    return keys


async def ensure_not_locked(session: AsyncSession, email: str, ip: str | None) -> None:
    now = utcnow()
    for kind, key in _keys(email, ip):
        row = await session.get(LoginThrottle, (kind, key))
        if row and row.locked_until and row.locked_until > now:
            wait = ceil((row.locked_until - now).total_seconds())
            raise TooManyRequests(
                f"Too many failed sign-in attempts. Try again in {ceil(wait / 60)} minute(s).",
                code="too_many_attempts",
                retry_after_seconds=wait,
            )


async def record_failure(
    session: AsyncSession, policy: ThrottlePolicy, email: str, ip: str | None
) -> None:
    now = utcnow()
    for kind, key in _keys(email, ip):
        row = await session.get(LoginThrottle, (kind, key), with_for_update=True)
        if row is None:
            row = LoginThrottle(kind=kind, key=key, failures=0, window_started_at=now)
            session.add(row)
        elif now - row.window_started_at > policy.window:
            row.failures, row.window_started_at, row.locked_until = 0, now, None
        row.failures += 1
        if row.failures >= policy.limit(kind):
            row.locked_until = now + policy.window
    await session.flush()


async def clear_account(session: AsyncSession, email: str) -> None:
    await session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.kind == ThrottleKind.account, LoginThrottle.key == email
        )
    )


async def active_locks(session: AsyncSession) -> list[LoginThrottle]:
    rows = await session.scalars(
        select(LoginThrottle)
        .where(LoginThrottle.locked_until > utcnow())
        .order_by(LoginThrottle.locked_until.desc())
    )
    return list(rows)


async def clear_lock(session: AsyncSession, kind: ThrottleKind, key: str) -> bool:
    result = await session.execute(
        delete(LoginThrottle).where(LoginThrottle.kind == kind, LoginThrottle.key == key)
    )
    return bool(getattr(result, "rowcount", 0))
