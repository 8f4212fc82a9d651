"""Training jobs (the table is the queue), their state transitions, metric points and log
lines."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from llmforge.db import Base, Timestamped, UTCDateTime, utcnow


class JobStatus(StrEnum):
    pending = "pending"
    """Created; its folder (dataset files, YAML) is being prepared."""
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


NOT_STARTED = (JobStatus.pending, JobStatus.queued)
ACTIVE_STATUSES = (*NOT_STARTED, JobStatus.running)
FINAL_STATUSES = (JobStatus.succeeded, JobStatus.failed, JobStatus.cancelled)


class CancelMode(StrEnum):
    graceful = "graceful"
    force = "force"


class TrainingJob(Timestamped, Base):
    """A fine-tuning job. A scheduler claims a queued job by writing its id in `claimed_by`
    (conditional update; PostgreSQL also locks with SKIP LOCKED) and keeps `heartbeat_at`
    fresh while the process runs; `host`, `pid` and `pid_started` name that process."""

    __tablename__ = "training_jobs"
    __table_args__ = (
        Index("ix_training_jobs_status_priority", "status", "priority", "id"),
        Index("ix_training_jobs_dataset_id_status", "dataset_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    base_model_id: Mapped[int] = mapped_column(ForeignKey("base_models.id"), index=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"))
    method: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str] = mapped_column(String(16))
    template: Mapped[str] = mapped_column(String(64))
    hyperparameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    overrides: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """Keys changed in the advanced YAML editor, on top of the generated configuration."""
    swanlab: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """{mode, project, workspace}; the cloud API key lives encrypted in `swanlab_key_encrypted`."""
    swanlab_key_encrypted: Mapped[str | None] = mapped_column(String(2000), default=None)
    yaml: Mapped[str] = mapped_column(Text, default="")
    """The configuration the current attempt runs with."""
    gpu_count: Mapped[int] = mapped_column(Integer, default=1)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[JobStatus] = mapped_column(
        Enum(JobStatus, native_enum=False, length=16), default=JobStatus.pending
    )
    job_dir: Mapped[str] = mapped_column(String(1000), default="")
    output_dir: Mapped[str] = mapped_column(String(1000), default="")
    resume: Mapped[bool] = mapped_column(default=False)
    """The next attempt continues from the last checkpoint in output_dir."""
    cancel_requested: Mapped[CancelMode | None] = mapped_column(
        Enum(CancelMode, native_enum=False, length=16), default=None
    )
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    current_step: Mapped[int] = mapped_column(Integer, default=0)
    total_steps: Mapped[int | None] = mapped_column(Integer, default=None)
    eta_seconds: Mapped[float | None] = mapped_column(Float, default=None)
    throughput: Mapped[float | None] = mapped_column(Float, default=None)
    """Tokens per second, when LLaMA-Factory reports it."""
    latest_loss: Mapped[float | None] = mapped_column(Float, default=None)
    log_lines: Mapped[int] = mapped_column(Integer, default=0)
    """Log lines stored so far (the next line's seq is this + 1)."""
    read_offsets: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    """How far stdout.log, stderr.log and trainer_log.jsonl were read, so that a scheduler
    that adopts a running process after a restart stores nothing twice."""
    claimed_by: Mapped[str | None] = mapped_column(String(128), default=None)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    host: Mapped[str | None] = mapped_column(String(255), default=None)
    pid: Mapped[int | None] = mapped_column(Integer, default=None)
    pid_started: Mapped[str | None] = mapped_column(String(32), default=None)
    gpus: Mapped[str | None] = mapped_column(String(100), default=None)
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    exit_code: Mapped[int | None] = mapped_column(Integer, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    model_version_id: Mapped[int | None] = mapped_column(Integer, default=None)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class JobTransition(Base):
    __tablename__ = "training_job_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(
        ForeignKey("training_jobs.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(16), default=None)
    to_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MetricPointRow(Base):
    """One logged step of a job. A step logged again (a resumed run) replaces the row, with a
    new id, so that readers following ids see it again."""

    __tablename__ = "training_metrics"
    __table_args__ = (UniqueConstraint("job_id", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("training_jobs.id", ondelete="CASCADE"))
    step: Mapped[int] = mapped_column(Integer)
    values: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    """loss, lr, epoch, eval_loss, grad_norm, throughput, total_tokens, ..."""
    elapsed_seconds: Mapped[float | None] = mapped_column(Float, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LogLine(Base):
    __tablename__ = "training_log_lines"
    __table_args__ = (UniqueConstraint("job_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("training_jobs.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    """1-based, per job: the offset the log API and the event stream resume from."""
    stream: Mapped[str] = mapped_column(String(8))
    """stdout, stderr or system (llmforge's own notes: attempts, signals, exit)."""
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
