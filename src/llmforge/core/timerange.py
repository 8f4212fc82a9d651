"""The `since` / `until` query parameters every statistics endpoint takes."""

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Query

from llmforge.core.errors import InvalidInput
from llmforge.db import utcnow

DEFAULT_WINDOW = timedelta(days=30)


def window(since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    end = until or utcnow()
    start = since or end - DEFAULT_WINDOW
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput("since and until need a time zone (e.g. 2026-11-01T00:00:00Z).")
    if start >= end:
        raise InvalidInput("since must be before until.", code="invalid_range")
    return start, end


Since = Annotated[datetime | None, Query(description="start (inclusive); default 30 days ago")]
Until = Annotated[datetime | None, Query(description="end (exclusive); default now")]
