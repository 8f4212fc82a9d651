from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from llmforge.db import Base, Timestamped, UTCDateTime


class ServeStatus(StrEnum):
    stopped = "stopped"
    starting = "starting"
    serving = "serving"
    stopping = "stopping"
    error = "error"


class ExportStatus(StrEnum):
    none = "none"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


class ModelVersion(Timestamped, Base):
    """A trained model: a base model plus an adapter (or a full fine-tune's own directory).

    While served it runs `llamafactory-cli api` on `port` (process group `pid`) and is
    registered as model `served_model_id` of provider `provider_id`."""

    __tablename__ = "model_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    """Also the model id the served API reports (API_MODEL_NAME)."""
    base_model_id: Mapped[int] = mapped_column(ForeignKey("base_models.id"), index=True)
    adapter_path: Mapped[str | None] = mapped_column(String(1000), default=None)
    model_path: Mapped[str | None] = mapped_column(String(1000), default=None)
    """Set for full fine-tunes (no adapter): the trained model's own directory."""
    template: Mapped[str] = mapped_column(String(64))
    finetuning_type: Mapped[str] = mapped_column(String(16))
    job_id: Mapped[int | None] = mapped_column(Integer, index=True, default=None)
    """The training job that produced it (no foreign key: versions may outlive jobs)."""
    status: Mapped[ServeStatus] = mapped_column(
        Enum(ServeStatus, native_enum=False, length=16), default=ServeStatus.stopped, index=True
    )
    port: Mapped[int | None] = mapped_column(Integer, default=None)
    pid: Mapped[int | None] = mapped_column(Integer, default=None)
    api_key_encrypted: Mapped[str | None] = mapped_column(String(2000), default=None)
    provider_id: Mapped[int | None] = mapped_column(
        ForeignKey("providers.id", ondelete="SET NULL"), default=None
    )
    served_model_id: Mapped[int | None] = mapped_column(
        ForeignKey("models.id", ondelete="SET NULL"), default=None
    )
    restarts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    served_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    export_status: Mapped[ExportStatus] = mapped_column(
        Enum(ExportStatus, native_enum=False, length=16), default=ExportStatus.none, index=True
    )
    export_dir: Mapped[str | None] = mapped_column(String(1000), default=None)
    export_error: Mapped[str | None] = mapped_column(Text, default=None)
