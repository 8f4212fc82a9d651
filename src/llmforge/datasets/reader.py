"""Reading an uploaded file into (line number, record) pairs: a JSON array, JSON Lines, or CSV
(CSV columns are alpaca fields). Problems are reported per line and reading goes on where it
can, so one upload reports every bad line."""

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Container = Literal["json", "jsonl", "csv"]
CSV_COLUMNS = ("instruction", "input", "output", "system", "chosen", "rejected")
CSV_OPTIONAL = ("input", "system", "chosen", "rejected")
"""Empty cells in these columns mean "not given"."""


@dataclass(frozen=True)
class LineError:
    line: int
    message: str


Item = tuple[int, Any] | LineError


def container_of(filename: str, head: bytes) -> Container:
    """From the file name's extension, else from the first non-blank character."""
    suffix = Path(filename).suffix.lower()
    if suffix in (".json", ".jsonl", ".csv"):
        return suffix[1:]  # type: ignore[return-value]
    first = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return "json" if first == b"[" else "jsonl" if first == b"{" else "csv"


def _decode(raw: bytes, line: int) -> str | LineError:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return LineError(line, "The line is not valid UTF-8.")


def _jsonl(path: Path) -> Iterator[Item]:
    with path.open("rb") as source:
        for line, raw in enumerate(source, start=1):
            text = _decode(raw.removeprefix(b"\xef\xbb\xbf") if line == 1 else raw, line)
            if isinstance(text, LineError):
                yield text
            elif text.strip():
                try:
                    yield line, json.loads(text.rstrip("\r\n"))
                except json.JSONDecodeError as exc:
                    yield LineError(line, f"Invalid JSON: {exc.msg} (column {exc.colno}).")


def _skip_blank(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _json_array(path: Path) -> Iterator[Item]:
    """Decode the array element by element, so each record knows its line."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        yield LineError(1 + path.read_bytes()[: exc.start].count(b"\n"), "Not valid UTF-8.")
        return
    decoder = json.JSONDecoder()
    position = _skip_blank(text, 0)
    if not text.startswith("[", position):
        yield LineError(1, "A .json dataset must be a JSON array of records.")
        return
    position = _skip_blank(text, position + 1)
    if text.startswith("]", position):
        return
    while True:
        line = text.count("\n", 0, position) + 1
        try:
            record, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            yield LineError(exc.lineno, f"Invalid JSON: {exc.msg} (column {exc.colno}).")
            return
        yield line, record
        position = _skip_blank(text, position)
        if text.startswith("]", position):
            return
        if not text.startswith(",", position):
            yield LineError(text.count("\n", 0, position) + 1, "Expected ',' or ']'.")
            return
        position = _skip_blank(text, position + 1)


def _csv(path: Path) -> Iterator[Item]:
    with path.open("rb") as raw:
        data = raw.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        yield LineError(1 + data[: exc.start].count(b"\n"), "Not valid UTF-8.")
        return
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in reader.fieldnames or []]
    if "instruction" not in header:
        yield LineError(1, "A CSV dataset needs an 'instruction' column (alpaca fields).")
        return
    reader.fieldnames = header
    line = 2
    for row in reader:
        if None in row:
            yield LineError(line, "The row has more fields than the header.")
        else:
            yield (
                line,
                {
                    key: value
                    for key, value in row.items()
                    if key in CSV_COLUMNS
                    and value is not None
                    and (value or key not in CSV_OPTIONAL)
                },
            )
        line = reader.line_num + 1


def read(path: Path, container: Container) -> Iterator[Item]:
    if container == "csv":
        return _csv(path)
    return _json_array(path) if container == "json" else _jsonl(path)
