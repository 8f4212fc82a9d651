from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel

from llmforge.usage.schemas import CostLimit, DailyModelUsage, TokenLimit, UsageTotals


class AppSettingsRead(BaseModel):
    registration_open: bool
    default_monthly_token_limit: TokenLimit | None = None
    """Applies to users without a budget of their own; null means unlimited."""
    default_monthly_cost_limit: CostLimit | None = None


class AppSettingsUpdate(BaseModel):
    """Fields left out stay as they are; a budget set to null becomes unlimited."""

    registration_open: bool | None = None
    default_monthly_token_limit: TokenLimit | None = None
    default_monthly_cost_limit: CostLimit | None = None


class TopUser(BaseModel):
    user_id: int | None
    email: str | None
    calls: int
    tokens: int
    cost: Decimal


class ProviderHealth(BaseModel):
    provider_name: str
    calls: int
    errors: int
    error_rate: float
    median_ttft_ms: float | None


class Dashboard(BaseModel):
    since: datetime
    until: datetime
    users_total: int
    users_active_7d: int
    chat_sessions: int
    chat_messages: int
    totals: UsageTotals
    by_day_and_model: list[DailyModelUsage]
    top_users: list[TopUser]
    providers: list[ProviderHealth]
    training_jobs_by_state: dict[str, int]
    """Jobs created in the range, by their state now."""
