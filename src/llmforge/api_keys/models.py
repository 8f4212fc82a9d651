from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from llmforge.db import Base, Timestamped, UTCDateTime


class ApiKey(Timestamped, Base):
    """A user's key for the gateway. Only the SHA-256 of the secret is kept; `prefix` (the
    secret's first characters) lets its owner recognise it. Revoked keys stay listed."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    model_allowlist: Mapped[list[str]] = mapped_column(JSON, default=list)
    """Gateway model names this key may call; empty: every model its owner may use."""
    rate_limit_per_minute: Mapped[int | None] = mapped_column(Integer, default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
