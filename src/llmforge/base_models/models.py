from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from llmforge.db import Base, Timestamped


class BaseModel(Timestamped, Base):
    """A local Hugging Face model directory that jobs fine-tune and versions build on."""

    __tablename__ = "base_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    path: Mapped[str] = mapped_column(String(1000))
    """Resolved absolute path, inside one of the configured model roots."""
    template: Mapped[str] = mapped_column(String(64))
    """LLaMA-Factory chat template name."""
    architecture: Mapped[str | None] = mapped_column(String(100), default=None)
    parameter_count: Mapped[int | None] = mapped_column(BigInteger, default=None)
    """Estimated from config.json when it has the usual fields."""
    size_bytes: Mapped[int | None] = mapped_column(BigInteger, default=None)
    """Bytes of the weight files on disk."""
    description: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
