from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from llmforge.db import Base, Timestamped


class CompareRun(Timestamped, Base):
    """One prompt sent to several models side by side. In blind mode the models stay hidden
    until the user votes or reveals them."""

    __tablename__ = "compare_runs"
    __table_args__ = (Index("ix_compare_runs_user_id_created_at", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    prompt: Mapped[str] = mapped_column(Text)
    system_prompt: Mapped[str] = mapped_column(Text, default="")
    blind: Mapped[bool] = mapped_column(Boolean, default=False)
    revealed: Mapped[bool] = mapped_column(Boolean, default=False)
    winner_lane_id: Mapped[int | None] = mapped_column(Integer, default=None)
    knowledge_base_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    sources: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)
    """The knowledge-base passages every lane was given as [1], [2], …"""


class LaneStatus(StrEnum):
    streaming = "streaming"
    complete = "complete"
    interrupted = "interrupted"
    error = "error"


class CompareLane(Timestamped, Base):
    """One model's answer in a run; written once when it ends (never per token)."""

    __tablename__ = "compare_lanes"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("compare_runs.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    model_id: Mapped[int | None] = mapped_column(
        ForeignKey("models.id", ondelete="SET NULL"), default=None
    )
    model_name: Mapped[str] = mapped_column(String(200))
    provider_name: Mapped[str] = mapped_column(String(100))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """What the user set for this lane; the model's own defaults apply underneath."""
    content: Mapped[str] = mapped_column(Text, default="")
    reasoning: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[LaneStatus] = mapped_column(
        Enum(LaneStatus, native_enum=False, length=16),
        default=LaneStatus.streaming,
        index=True,  # the look for lanes whose server was lost
    )
    streamed_by: Mapped[str | None] = mapped_column(String(32), default=None)
    """The server process streaming the lane (liveness.service.this_process)."""
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    ttft_ms: Mapped[float | None] = mapped_column(Float, default=None)
    latency_ms: Mapped[float | None] = mapped_column(Float, default=None)
    reasoning_ms: Mapped[float | None] = mapped_column(Float, default=None)
    input_tokens: Mapped[int | None] = mapped_column(Integer, default=None)
    output_tokens: Mapped[int | None] = mapped_column(Integer, default=None)
    tokens_estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    cost: Mapped[Decimal | None] = mapped_column(Numeric(14, 8), default=None)
    tokens_per_second: Mapped[float | None] = mapped_column(Float, default=None)
    finish_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    rating: Mapped[int | None] = mapped_column(Integer, default=None)
