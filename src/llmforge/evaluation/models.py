"""One evaluation per training job: the base model alone and the fine-tuned version, both
served, answer the held-out prompts in a batch run scored by similarity to the references."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from llmforge.db import Base, Timestamped, UTCDateTime


class EvaluationStatus(StrEnum):
    pending = "pending"
    running = "running"
    completed = "completed"
    failed = "failed"


ACTIVE_EVALUATION = (EvaluationStatus.pending, EvaluationStatus.running)


class Evaluation(Timestamped, Base):
    """`phase` while running: `serving` (waiting for both chat models), then `testing` (the
    batch run). `started_version_ids` are the servers this evaluation started and stops."""

    __tablename__ = "training_evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(
        ForeignKey("training_jobs.id", ondelete="CASCADE"), unique=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[EvaluationStatus] = mapped_column(
        Enum(EvaluationStatus, native_enum=False, length=16), default=EvaluationStatus.pending
    )
    phase: Mapped[str | None] = mapped_column(String(16), default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    base_version_id: Mapped[int | None] = mapped_column(Integer, default=None)
    tuned_version_id: Mapped[int | None] = mapped_column(Integer, default=None)
    started_version_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    set_id: Mapped[int | None] = mapped_column(Integer, default=None)
    run_id: Mapped[int | None] = mapped_column(Integer, default=None)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
