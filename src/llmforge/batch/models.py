"""Test sets (rows of prompts), runs of a set against models, and one result per cell."""

from datetime import datetime
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
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from llmforge.db import Base, Timestamped, UTCDateTime, utcnow


class BatchTestSet(Timestamped, Base):
    __tablename__ = "batch_test_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(16))
    """csv, jsonl or json (built in the page)."""
    row_count: Mapped[int] = mapped_column(Integer, default=0)


class BatchTestRow(Base):
    __tablename__ = "batch_test_rows"
    __table_args__ = (UniqueConstraint("set_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("batch_test_sets.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    """1-based order in the set."""
    source_row: Mapped[int] = mapped_column(Integer)
    """Where the row was in the uploaded file (line number), for messages and exports."""
    prompt: Mapped[str] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(Text, default=None)
    system_prompt: Mapped[str | None] = mapped_column(Text, default=None)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)


class RunStatus(StrEnum):
    queued = "queued"
    running = "running"
    completed = "completed"
    cancelled = "cancelled"
    failed = "failed"


ACTIVE_STATUSES = (RunStatus.queued, RunStatus.running)


class BatchRun(Timestamped, Base):
    """A set x models job. The table is the queue: a runner claims a run by writing its id in
    `claimed_by` (conditional update) and keeps `heartbeat_at` fresh; a claim whose heartbeat
    went stale may be taken over. `done_cells` counts stored results."""

    __tablename__ = "batch_runs"
    __table_args__ = (Index("ix_batch_runs_status_heartbeat_at", "status", "heartbeat_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    set_id: Mapped[int] = mapped_column(
        ForeignKey("batch_test_sets.id", ondelete="CASCADE"), index=True
    )
    set_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[RunStatus] = mapped_column(
        Enum(RunStatus, native_enum=False, length=16), default=RunStatus.queued
    )
    models: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    """[{id, name, provider_id, provider_name}] as they were when the run was created."""
    scorers: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    concurrency_per_provider: Mapped[int] = mapped_column(Integer, default=4)
    total_cells: Mapped[int] = mapped_column(Integer, default=0)
    done_cells: Mapped[int] = mapped_column(Integer, default=0)
    error_cells: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(128), default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    done_at_claim: Mapped[int] = mapped_column(Integer, default=0)
    """done_cells when the current claim began: the ETA uses the rate since then."""
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class BatchResult(Base):
    """One cell: a row answered by a model, with its metrics and scores. Unique per cell, so a
    cell is never stored twice."""

    __tablename__ = "batch_results"
    __table_args__ = (UniqueConstraint("run_id", "row_id", "model_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("batch_runs.id", ondelete="CASCADE"))
    row_id: Mapped[int] = mapped_column(
        ForeignKey("batch_test_rows.id", ondelete="CASCADE"), index=True
    )
    model_id: Mapped[int] = mapped_column(Integer)
    """The model's id as stored in the run (no foreign key: results outlive the model)."""
    answer: Mapped[str] = mapped_column(Text, default="")
    reasoning: Mapped[str] = mapped_column(Text, default="")
    failed: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    latency_ms: Mapped[float | None] = mapped_column(Float, default=None)
    ttft_ms: Mapped[float | None] = mapped_column(Float, default=None)
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    tokens_estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    cost: Mapped[Decimal | None] = mapped_column(Numeric(14, 8), default=None)
    finish_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    scores: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """{scorer name: {score, passed, reason}}."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
