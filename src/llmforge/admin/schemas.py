from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field

TokenLimit = Annotated[int, Field(ge=0, le=10**15)]
CostLimit = Annotated[Decimal, Field(ge=0, le=10**9, decimal_places=4)]


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
