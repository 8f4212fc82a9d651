from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict


def assume_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


Instant = Annotated[datetime, AfterValidator(assume_utc)]


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: datetime
    actor_id: int | None
    actor_email: str | None
    action: str
    target_type: str | None
    target_id: str | None
    ip: str | None
    user_agent: str | None
    detail: dict[str, Any]


class AuditFilter(BaseModel):
    actor: str | None = None
    action: str | None = None
    since: Instant | None = None
    until: Instant | None = None
