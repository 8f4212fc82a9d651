from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from llmforge.db import Base, UTCDateTime, utcnow


class ServerProcess(Base):
    """A server process of a deployment with several, vouching for itself every few seconds."""

    __tablename__ = "server_processes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    alive_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
