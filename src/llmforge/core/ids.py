"""The one type for a row id in a path: an id the database columns can hold (PostgreSQL integer),
so an out-of-range id is a 422 from validation, not a database error."""

from typing import Annotated

from fastapi import Path

MAX_ROW_ID = 2**31 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
