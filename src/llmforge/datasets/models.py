"""An uploaded, validated fine-tuning dataset. Rows are immutable: a new upload is a new
dataset (the same name gets the next version). The records live on disk under the data dir."""

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from llmforge.db import Base, Timestamped


class Dataset(Timestamped, Base):
    __tablename__ = "datasets"
    __table_args__ = (UniqueConstraint("user_id", "name", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)
    description: Mapped[str] = mapped_column(Text, default="")
    format: Mapped[str] = mapped_column(String(16))
    """alpaca, sharegpt or openai."""
    has_preferences: Mapped[bool] = mapped_column(Boolean, default=False)
    """Records carry chosen/rejected answers (a DPO dataset)."""
    source_name: Mapped[str] = mapped_column(String(255), default="")
    """The uploaded file's name."""
    record_count: Mapped[int] = mapped_column(Integer, default=0)
    train_count: Mapped[int] = mapped_column(Integer, default=0)
    heldout_count: Mapped[int] = mapped_column(Integer, default=0)
    split_percent: Mapped[int] = mapped_column(Integer, default=0)
    """Share of records held out for evaluation, 0-50."""
    split_seed: Mapped[int] = mapped_column(Integer, default=42)
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    sha256: Mapped[str] = mapped_column(String(64))
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    storage_dir: Mapped[str] = mapped_column(String(255), default="")
    """Relative to the data dir: datasets/<id>."""
