"""Test-set parsing and validation: CSV, JSONL and rows built in the page. Pure and blocking:
call from async code through a worker thread.

Row numbers in errors are where the user will look: the line of the file (CSV: the header is
line 1 and a record that spans lines is numbered by its first line; JSONL: the line), or the
1-based position in the `rows` list of a JSON body. File-level problems have `row: null`."""

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any, Literal

MAX_ROWS = 10_000
MAX_REPORTED_ERRORS = 50
MAX_PROMPT_CHARS = 100_000
MAX_REFERENCE_CHARS = 100_000
MAX_SYSTEM_PROMPT_CHARS = 50_000
MAX_TAGS = 20
MAX_TAG_CHARS = 50
COLUMNS = ("prompt", "reference", "system_prompt", "tags")

SourceFormat = Literal["csv", "jsonl", "json"]


@dataclass(frozen=True)
class ParsedRow:
    source_row: int
    prompt: str
    reference: str | None
    system_prompt: str | None
    tags: list[str]


@dataclass(frozen=True)
class RowError:
    row: int | None
    message: str


@dataclass
class ParseResult:
    rows: list[ParsedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class _TooManyRows(Exception):
    pass


def _text(value: Any, name: str, limit: int, required: bool = False) -> str | None:
    if value is None:
        if required:
            raise ValueError(f"{name} is missing")
        return None
    if not isinstance(value, str):
        raise ValueError(f"{name} must be text, not {type(value).__name__}")
    if len(value) > limit:
        raise ValueError(f"{name} is longer than {limit:,} characters")
    if not value.strip():
        if required:
            raise ValueError(f"{name} is empty")
        return None
    return value


def _tags(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        items: list[Any] = value.split(";")
    elif isinstance(value, list):
        items = value
    else:
        raise ValueError("tags must be a list of strings (or ';'-separated text)")
    tags: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ValueError("tags must be a list of strings")
        tag = item.strip()
        if len(tag) > MAX_TAG_CHARS:
            raise ValueError(f"the tag '{tag[:20]}…' is longer than {MAX_TAG_CHARS} characters")
        if tag and tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ValueError(f"a row may have at most {MAX_TAGS} tags")
    return tags


def _row(source_row: int, values: dict[str, Any]) -> ParsedRow:
    prompt = _text(values.get("prompt"), "prompt", MAX_PROMPT_CHARS, required=True)
    assert prompt is not None
    return ParsedRow(
        source_row=source_row,
        prompt=prompt,
        reference=_text(values.get("reference"), "reference", MAX_REFERENCE_CHARS),
        system_prompt=_text(values.get("system_prompt"), "system_prompt", MAX_SYSTEM_PROMPT_CHARS),
        tags=_tags(values.get("tags")),
    )


class _Collector:
    def __init__(self) -> None:
        self.result = ParseResult()
        self.count = 0

    def bump(self) -> None:
        self.count += 1
        if self.count > MAX_ROWS:
            raise _TooManyRows

    def add(self, source_row: int, values: dict[str, Any]) -> None:
        self.bump()
        try:
            self.result.rows.append(_row(source_row, values))
        except ValueError as exc:
            self.error(source_row, str(exc))

    def error(self, row: int | None, message: str) -> None:
        self.result.errors.append(RowError(row, message))

    def finish(self) -> ParseResult:
        if self.count == 0 and not self.result.errors:
            self.error(None, "The test set has no rows.")
        return self.result


def _too_many(collector: _Collector) -> ParseResult:
    collector.error(
        None, f"The test set has more than {MAX_ROWS:,} rows; at most {MAX_ROWS:,} are allowed."
    )
    return collector.result


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"The file is not UTF-8 text (byte {exc.start + 1}).") from None


def parse_csv(data: bytes) -> ParseResult:
    collector = _Collector()
    try:
        text = _decode(data)
    except ValueError as exc:
        collector.error(None, str(exc))
        return collector.result
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        collector.error(1, f"The header is not valid CSV: {exc}.")
        return collector.result
    if header is None:
        return collector.finish()
    names = [name.strip().lower() for name in header]
    if "prompt" not in names:
        collector.error(1, "The header has no 'prompt' column (found: " + ", ".join(header) + ").")
        return collector.result
    duplicated = sorted({name for name in names if name in COLUMNS and names.count(name) > 1})
    if duplicated:
        collector.error(1, f"The header repeats the column(s): {', '.join(duplicated)}.")
        return collector.result
    start = reader.line_num + 1
    try:
        while True:
            try:
                record = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                collector.error(start, f"This line is not valid CSV: {exc}.")
                return collector.result  # the reader cannot resynchronise after a bad quote
            line, start = start, reader.line_num + 1
            if not record or all(not cell.strip() for cell in record):
                continue
            if len(record) > len(names):
                collector.bump()
                collector.error(
                    line, f"This row has {len(record)} fields; the header has {len(names)}."
                )
                continue
            values = {name: cell for name, cell in zip(names, record, strict=False)}
            collector.add(line, {key: values.get(key) for key in COLUMNS})
    except _TooManyRows:
        return _too_many(collector)
    return collector.finish()


def parse_jsonl(data: bytes) -> ParseResult:
    collector = _Collector()
    try:
        text = _decode(data)
    except ValueError as exc:
        collector.error(None, str(exc))
        return collector.result
    try:
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                collector.bump()
                collector.error(number, f"This line is not valid JSON: {exc.msg}.")
                continue
            if not isinstance(value, dict):
                collector.bump()
                collector.error(number, "Each line must be a JSON object with a 'prompt' key.")
                continue
            collector.add(number, value)
    except _TooManyRows:
        return _too_many(collector)
    return collector.finish()


def parse_rows(rows: list[Any]) -> ParseResult:
    """Rows built in the page (a JSON body's `rows`), numbered from 1."""
    collector = _Collector()
    if len(rows) > MAX_ROWS:
        return _too_many(collector)
    for number, value in enumerate(rows, start=1):
        if not isinstance(value, dict):
            collector.bump()
            collector.error(number, "Each row must be an object with a 'prompt' key.")
            continue
        collector.add(number, value)
    return collector.finish()


def detect_format(filename: str | None, data: bytes) -> Literal["csv", "jsonl"]:
    name = (filename or "").lower()
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if name.endswith((".csv", ".txt")):
        return "csv"
    return "jsonl" if data.lstrip()[:1] == b"{" else "csv"


def parse_file(data: bytes, file_format: Literal["csv", "jsonl"]) -> ParseResult:
    return parse_csv(data) if file_format == "csv" else parse_jsonl(data)
