"""Usage statistics: sums by day and by model, for one user or for everyone."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Date, cast, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from llmforge.usage.models import UsageRecord


def day_of(session: AsyncSession) -> ColumnElement[Any]:
    """The UTC calendar day of a usage row, on SQLite and on PostgreSQL."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone(literal_column("'UTC'"), UsageRecord.created_at), Date)
    return func.date(UsageRecord.created_at)


def _totals() -> list[ColumnElement[Any]]:
    return [
        func.count().label("calls"),
        func.coalesce(func.sum(UsageRecord.input_tokens), 0).label("input_tokens"),
        func.coalesce(func.sum(UsageRecord.output_tokens), 0).label("output_tokens"),
        func.coalesce(func.sum(UsageRecord.cost), 0).label("cost"),
    ]


def _window(since: datetime, until: datetime, user_id: int | None) -> list[ColumnElement[bool]]:
    conditions = [UsageRecord.created_at >= since, UsageRecord.created_at < until]
    if user_id is not None:
        conditions.append(UsageRecord.user_id == user_id)
    return conditions


def _as_day(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _clean(row: Any) -> dict[str, Any]:
    values = dict(row._mapping)
    values["cost"] = Decimal(str(values["cost"]))
    if "day" in values:
        values["day"] = _as_day(values["day"])
    return values


async def totals(
    session: AsyncSession, since: datetime, until: datetime, user_id: int | None = None
) -> dict[str, Any]:
    row = (await session.execute(select(*_totals()).where(*_window(since, until, user_id)))).one()
    return _clean(row)


async def by_day(
    session: AsyncSession, since: datetime, until: datetime, user_id: int | None = None
) -> list[dict[str, Any]]:
    day = day_of(session).label("day")
    rows = await session.execute(
        select(day, *_totals()).where(*_window(since, until, user_id)).group_by(day).order_by(day)
    )
    return [_clean(row) for row in rows]


async def by_model(
    session: AsyncSession,
    since: datetime,
    until: datetime,
    user_id: int | None = None,
    *,
    daily: bool = False,
) -> list[dict[str, Any]]:
    keys: list[Any] = [UsageRecord.model_name, UsageRecord.provider_name]
    if daily:
        keys.insert(0, day_of(session).label("day"))
    rows = await session.execute(
        select(*keys, *_totals())
        .where(*_window(since, until, user_id))
        .group_by(*keys)
        .order_by(*keys)
    )
    return [_clean(row) for row in rows]
