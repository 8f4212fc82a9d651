from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Boolean, Enum, Float, ForeignKey, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from llmforge.db import Base, Timestamped, UTCDateTime, utcnow


class UsageSource(StrEnum):
    chat = "chat"
    compare = "compare"
    batch = "batch"
    judge = "judge"
    gateway = "gateway"
    rag = "rag"


class UsageRecord(Base):
    """One model call, kept as history: no foreign keys, so deleting a user, model or provider
    never blocks or loses accounting, and names are copied for the same reason."""

    __tablename__ = "usage_records"
    __table_args__ = (Index("ix_usage_records_user_id_created_at", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer)
    model_id: Mapped[int | None] = mapped_column(Integer)
    model_name: Mapped[str] = mapped_column(String(200))
    provider_id: Mapped[int | None] = mapped_column(Integer, index=True)
    provider_name: Mapped[str] = mapped_column(String(100))
    source: Mapped[UsageSource] = mapped_column(Enum(UsageSource, native_enum=False, length=16))
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    cost: Mapped[Decimal] = mapped_column(Numeric(14, 8), default=Decimal(0))
    latency_ms: Mapped[float | None] = mapped_column(Float, default=None)
    ttft_ms: Mapped[float | None] = mapped_column(Float, default=None)
    status: Mapped[str] = mapped_column(String(16))


class UserQuota(Timestamped, Base):
    """A monthly budget for one user; users without a row get the default budget."""

    __tablename__ = "user_quotas"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    monthly_token_limit: Mapped[int | None] = mapped_column(Integer, default=None)
    monthly_cost_limit: Mapped[Decimal | None] = mapped_column(Numeric(14, 4), default=None)
