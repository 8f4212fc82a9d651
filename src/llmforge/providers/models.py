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
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from llmforge.db import Base, Timestamped, UTCDateTime


class Provider(Timestamped, Base):
    """A configured upstream: a preset's protocol and quirks, a base URL and encrypted secrets."""

    __tablename__ = "providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    preset: Mapped[str] = mapped_column(String(64))
    base_url: Mapped[str] = mapped_column(String(500))
    api_key_encrypted: Mapped[str | None] = mapped_column(String(2000), default=None)
    api_key_hint: Mapped[str | None] = mapped_column(String(32), default=None)
    extra_headers_encrypted: Mapped[str | None] = mapped_column(String(8000), default=None)
    extra_header_names: Mapped[list[str]] = mapped_column(JSON, default=list)
    timeout_seconds: Mapped[float] = mapped_column(Float, default=60.0)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_test: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)


class Visibility(StrEnum):
    all = "all"
    restricted = "restricted"


class Model(Timestamped, Base):
    """A model of a provider as users see it. Synced models start disabled; vanished ones are
    marked unavailable, never deleted behind the admin's back."""

    __tablename__ = "models"
    __table_args__ = (UniqueConstraint("provider_id", "model_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("providers.id", ondelete="CASCADE"), index=True
    )
    model_id: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(200))
    capabilities: Mapped[list[str]] = mapped_column(JSON, default=list)
    context_length: Mapped[int | None] = mapped_column(Integer, default=None)
    input_price_per_mtok: Mapped[Decimal | None] = mapped_column(Numeric(12, 6), default=None)
    output_price_per_mtok: Mapped[Decimal | None] = mapped_column(Numeric(12, 6), default=None)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    available: Mapped[bool] = mapped_column(Boolean, default=True)
    visibility: Mapped[Visibility] = mapped_column(
        Enum(Visibility, native_enum=False, length=16), default=Visibility.all
    )
    allowed_roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    allowed_user_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
