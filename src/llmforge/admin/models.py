from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from llmforge.db import Base, Timestamped


class AppSetting(Timestamped, Base):
    """A setting an admin changes at run time; absent rows fall back to the env default."""

    __tablename__ = "app_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
