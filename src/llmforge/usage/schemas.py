from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field

TokenLimit = Annotated[int, Field(ge=0, le=10**15)]
CostLimit = Annotated[Decimal, Field(ge=0, le=10**9, decimal_places=4)]


class UsageTotals(BaseModel):
    calls: int
    input_tokens: int
    output_tokens: int
    cost: Decimal


class DailyUsage(UsageTotals):
    day: date


class ModelUsage(UsageTotals):
    model_name: str
    provider_name: str


class DailyModelUsage(ModelUsage):
    day: date


class BudgetRead(BaseModel):
    token_limit: int | None
    cost_limit: Decimal | None
    tokens_used: int
    cost_used: Decimal
    resets_at: datetime
    is_default: bool


class MyUsage(BaseModel):
    since: datetime
    until: datetime
    totals: UsageTotals
    by_day: list[DailyUsage]
    by_model: list[ModelUsage]
    by_day_and_model: list[DailyModelUsage]
    budget: BudgetRead


class QuotaUpdate(BaseModel):
    monthly_token_limit: TokenLimit | None = None
    monthly_cost_limit: CostLimit | None = None


class QuotaRead(BudgetRead):
    user_id: int
    email: str
