"""Monthly budgets: a call is refused before any upstream request once the budget is used."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from llmforge.admin import service as app_settings
from llmforge.core.cache import ReadCache
from llmforge.core.errors import TooManyRequests
from llmforge.db import utcnow
from llmforge.settings import Settings
from llmforge.usage.models import UsageRecord, UserQuota
from llmforge.usage.recorder import UsageRecorder


@dataclass(frozen=True)
class Budget:
    token_limit: int | None
    cost_limit: Decimal | None
    tokens_used: int
    cost_used: Decimal
    resets_at: datetime
    is_default: bool


def month_start(now: datetime) -> datetime:
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month(now: datetime) -> datetime:
    start = month_start(now)
    return (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )


@dataclass(frozen=True)
class Limits:
    token_limit: int | None
    cost_limit: Decimal | None
    is_default: bool

    @property
    def unlimited(self) -> bool:
        return self.token_limit is None and self.cost_limit is None


async def limits_of(session: AsyncSession, settings: Settings, user_id: int) -> Limits:
    own = await session.get(UserQuota, user_id)
    if own is not None:
        return Limits(own.monthly_token_limit, own.monthly_cost_limit, is_default=False)
    defaults = await app_settings.read(session, settings)
    return Limits(
        defaults.default_monthly_token_limit,
        defaults.default_monthly_cost_limit,
        is_default=True,
    )


async def cached_limits(
    cache: ReadCache, session: AsyncSession, settings: Settings, user_id: int
) -> Limits:
    """`limits_of` through the read cache, which watches the tables it reads: calls in a
    steady stream look them up once."""
    return await cache.get_or_load(
        ("limits", user_id), lambda: limits_of(session, settings, user_id)
    )


async def budget_of(
    session: AsyncSession,
    settings: Settings,
    recorder: UsageRecorder,
    user_id: int,
    limits: Limits | None = None,
) -> Budget:
    now = utcnow()
    limits = limits or await limits_of(session, settings, user_id)
    row = (
        await session.execute(
            select(
                func.coalesce(func.sum(UsageRecord.input_tokens + UsageRecord.output_tokens), 0),
                func.coalesce(func.sum(UsageRecord.cost), 0),
            ).where(UsageRecord.user_id == user_id, UsageRecord.created_at >= month_start(now))
        )
    ).one()
    pending_tokens, pending_cost = recorder.unwritten(user_id)
    return Budget(
        token_limit=limits.token_limit,
        cost_limit=limits.cost_limit,
        tokens_used=int(row[0]) + pending_tokens,
        cost_used=Decimal(str(row[1])) + pending_cost,
        resets_at=next_month(now),
        is_default=limits.is_default,
    )


async def ensure_within_budget(
    session: AsyncSession,
    settings: Settings,
    recorder: UsageRecorder,
    user_id: int,
    limits: Limits | None = None,
) -> None:
    limits = limits or await limits_of(session, settings, user_id)
    if limits.unlimited:  # nothing to add up: the common case costs one or two lookups
        return
    budget = await budget_of(session, settings, recorder, user_id, limits)
    wait = max(1, int((budget.resets_at - utcnow()).total_seconds()))
    resets = budget.resets_at.strftime("%Y-%m-%d %H:%M UTC")
    if budget.token_limit is not None and budget.tokens_used >= budget.token_limit:
        raise TooManyRequests(
            f"Your monthly token budget of {budget.token_limit:,} is used up "
            f"({budget.tokens_used:,} used). It resets on {resets}.",
            code="quota_exceeded",
            retry_after_seconds=wait,
        )
    if budget.cost_limit is not None and budget.cost_used >= budget.cost_limit:
        raise TooManyRequests(
            f"Your monthly cost budget of {budget.cost_limit} is used up "
            f"({budget.cost_used:.4f} used). It resets on {resets}.",
            code="quota_exceeded",
            retry_after_seconds=wait,
        )
