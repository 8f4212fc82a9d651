"""The admin dashboard's numbers: people, conversations, tokens and cost, provider health,
training jobs."""

import statistics
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from llmforge.chat.models import ChatMessage, ChatSession
from llmforge.training.models import TrainingJob
from llmforge.usage import service as usage
from llmforge.usage.models import UsageRecord
from llmforge.users.models import User

ACTIVE_DAYS = 7
TOP_USERS = 10


async def _count(session: AsyncSession, statement: Any) -> int:
    return int(await session.scalar(statement) or 0)


async def people(session: AsyncSession, now: datetime) -> dict[str, int]:
    active_since = now - timedelta(days=ACTIVE_DAYS)
    used_recently = select(UsageRecord.user_id).where(UsageRecord.created_at >= active_since)
    return {
        "users_total": await _count(session, select(func.count()).select_from(User)),
        "users_active_7d": await _count(
            session,
            select(func.count())
            .select_from(User)
            .where(or_(User.last_login_at >= active_since, User.id.in_(used_recently))),
        ),
    }


async def conversations(session: AsyncSession, since: datetime, until: datetime) -> dict[str, int]:
    in_range = ChatMessage.created_at >= since, ChatMessage.created_at < until
    return {
        "chat_sessions": await _count(
            session,
            select(func.count())
            .select_from(ChatSession)
            .where(ChatSession.last_message_at >= since, ChatSession.created_at < until),
        ),
        "chat_messages": await _count(
            session, select(func.count()).select_from(ChatMessage).where(*in_range)
        ),
    }


async def top_users(
    session: AsyncSession, since: datetime, until: datetime
) -> list[dict[str, Any]]:
    tokens = func.sum(UsageRecord.input_tokens + UsageRecord.output_tokens)
    rows = await session.execute(
        select(
            UsageRecord.user_id,
            User.email,
            func.count().label("calls"),
            tokens.label("tokens"),
            func.sum(UsageRecord.cost).label("cost"),
        )
        .outerjoin(User, User.id == UsageRecord.user_id)
        .where(UsageRecord.created_at >= since, UsageRecord.created_at < until)
        .group_by(UsageRecord.user_id, User.email)
        .order_by(tokens.desc())
        .limit(TOP_USERS)
    )
    return [dict(row._mapping) for row in rows]


async def provider_health(
    session: AsyncSession, since: datetime, until: datetime
) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(UsageRecord.provider_name, UsageRecord.status, UsageRecord.ttft_ms).where(
            UsageRecord.created_at >= since, UsageRecord.created_at < until
        )
    )
    calls: dict[str, int] = defaultdict(int)
    errors: dict[str, int] = defaultdict(int)
    ttfts: dict[str, list[float]] = defaultdict(list)
    for provider, status, ttft in rows:
        calls[provider] += 1
        errors[provider] += status == "error"
        if ttft is not None and status != "error":
            ttfts[provider].append(ttft)
    return [
        {
            "provider_name": provider,
            "calls": calls[provider],
            "errors": errors[provider],
            "error_rate": round(errors[provider] / calls[provider], 4),
            "median_ttft_ms": round(statistics.median(ttfts[provider]), 1)
            if ttfts[provider]
            else None,
        }
        for provider in sorted(calls)
    ]


async def training_jobs_by_state(
    session: AsyncSession, since: datetime, until: datetime
) -> dict[str, int]:
    """Jobs created in the range, by the state they are in now."""
    rows = await session.execute(
        select(TrainingJob.status, func.count())
        .where(TrainingJob.created_at >= since, TrainingJob.created_at < until)
        .group_by(TrainingJob.status)
    )
    return {status.value: count for status, count in rows}


async def dashboard(
    session: AsyncSession, since: datetime, until: datetime, now: datetime
) -> dict[str, Any]:
    return {
        "since": since,
        "until": until,
        **await people(session, now),
        **await conversations(session, since, until),
        "totals": await usage.totals(session, since, until),
        "by_day_and_model": await usage.by_model(session, since, until, daily=True),
        "top_users": await top_users(session, since, until),
        "providers": await provider_health(session, since, until),
        "training_jobs_by_state": await training_jobs_by_state(session, since, until),
    }
