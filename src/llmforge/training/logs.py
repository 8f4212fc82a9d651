"""Reading what a LLaMA-Factory run writes: `trainer_log.jsonl` (both schemas) and its stdout and
stderr (ANSI colours and tqdm's carriage-return redraws removed). Pure functions and small
incremental readers; no database, no asyncio."""

import json
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger("llmforge.training")

MAX_LINE_CHARS = 4000
HEAD_BYTES = 256
"""A file whose first bytes changed was rewritten (appending never changes them)."""
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
_TIMEDELTA = re.compile(
    r"^\s*(?:(?P<days>-?\d+) days?,\s*)?(?P<h>\d+):(?P<m>\d{1,2}):(?P<s>\d{1,2}(?:\.\d+)?)\s*$"
)
# trainer_log.jsonl keys (classic schema) -> metric names; everything numeric else is kept as is
_RENAMED = {"lr": "lr", "learning_rate": "lr", "accuracy": "accuracy"}
_BOOKKEEPING = {
    "current_steps",
    "step",
    "total_steps",
    "percentage",
    "elapsed_time",
    "remaining_time",
}


def parse_timedelta(text: Any) -> float | None:
    """Seconds in Python's `str(timedelta)`: "0:00:09", "1 day, 4:06:56", "2 days, 0:00:01.5"."""
    if isinstance(text, int | float):
        return float(text)
    if not isinstance(text, str):
        return None
    match = _TIMEDELTA.match(text)
    if match is None:
        return None
    days = int(match["days"] or 0)
    return days * 86400 + int(match["h"]) * 3600 + int(match["m"]) * 60 + float(match["s"])


@dataclass(frozen=True)
class MetricPoint:
    """One logged step. `values` holds the numeric metrics (loss, lr, epoch, eval_loss,
    grad_norm, throughput, total_tokens, reward, accuracy, vram_allocated, ...)."""

    step: int
    total_steps: int | None = None
    values: dict[str, float] = field(default_factory=dict)
    percentage: float | None = None
    elapsed_seconds: float | None = None
    remaining_seconds: float | None = None


def point_from_record(record: Any) -> MetricPoint | None:
    """A record of either schema: the classic one (current_steps, lr, elapsed_time, ...) or the
    experimental v1 trainer's (step, learning_rate, grad_norm, ...). None when it has no step."""
    if not isinstance(record, dict):
        return None
    step = record.get("current_steps", record.get("step"))
    if isinstance(step, bool) or not isinstance(step, int | float):
        return None
    values: dict[str, float] = {}
    for key, value in record.items():
        if key in _BOOKKEEPING or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        values[_RENAMED.get(str(key), str(key))] = float(value)
    total = record.get("total_steps")
    percentage = record.get("percentage")
    return MetricPoint(
        step=int(step),
        total_steps=int(total) if isinstance(total, int | float) and total > 0 else None,
        values=values,
        percentage=float(percentage) if isinstance(percentage, int | float) else None,
        elapsed_seconds=parse_timedelta(record.get("elapsed_time")),
        remaining_seconds=parse_timedelta(record.get("remaining_time")),
    )


def parse_lines(lines: list[str]) -> list[MetricPoint]:
    """Points of complete lines, in order; a line that is not a JSON object is skipped."""
    points = []
    for line in lines:
        if not line.strip():
            continue
        try:
            point = point_from_record(json.loads(line))
        except ValueError:
            logger.warning("trainer_log.jsonl: skipped a line that is not JSON: %.80s", line)
            continue
        if point is not None:
            points.append(point)
    return points


def merge(earlier: MetricPoint, later: MetricPoint) -> MetricPoint:
    """The same step logged twice (a resumed run appends again; LLaMA-Factory's closing line
    repeats the last step without its loss): the later line wins, key by key."""
    return MetricPoint(
        step=later.step,
        total_steps=later.total_steps or earlier.total_steps,
        values={**earlier.values, **later.values},
        percentage=later.percentage if later.percentage is not None else earlier.percentage,
        elapsed_seconds=later.elapsed_seconds
        if later.elapsed_seconds is not None
        else earlier.elapsed_seconds,
        remaining_seconds=later.remaining_seconds
        if later.remaining_seconds is not None
        else earlier.remaining_seconds,
    )


def parse_trainer_log(text: str) -> list[MetricPoint]:
    """A whole trainer_log.jsonl: one point per step (duplicates merged, the last wins), sorted
    by step. A last line without its newline is a write in progress and is left out."""
    complete = text if text.endswith("\n") else text.rsplit("\n", 1)[0] if "\n" in text else ""
    by_step: dict[int, MetricPoint] = {}
    for point in parse_lines(complete.split("\n")):
        known = by_step.get(point.step)
        by_step[point.step] = merge(known, point) if known else point
    return [by_step[step] for step in sorted(by_step)]


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def clean_line(raw: str) -> str:
    """What a terminal would finally show for one line: colours removed, and of a line redrawn
    with carriage returns (tqdm) only the last drawing."""
    text = strip_ansi(raw).rstrip("\r")
    if "\r" in text:
        drawings = [part for part in text.split("\r") if part.strip()]
        text = drawings[-1] if drawings else ""
    text = text.replace("\x00", "").rstrip()
    return text if len(text) <= MAX_LINE_CHARS else text[:MAX_LINE_CHARS] + " …"


class FileFollower:
    """Reads what was appended to a file since the last call, in complete lines. A file that
    was replaced (LLaMA-Factory deletes trainer_log.jsonl when it starts over) or became shorter
    is read again from its beginning, and `reset` says so once."""

    def __init__(self, path: Path, offset: int = 0) -> None:
        self.path = path
        self.offset = offset
        self.reset = False
        self._head = b""

    def read_lines(self, max_bytes: int = 4 * 1024 * 1024) -> list[str]:
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            return []
        with handle:
            size = os.fstat(handle.fileno()).st_size
            head = handle.read(HEAD_BYTES)
            self.reset = not head.startswith(self._head) or size < self.offset
            self._head = head
            if self.reset:
                self.offset = 0
            if size == self.offset:
                return []
            handle.seek(self.offset)
            chunk = handle.read(min(size - self.offset, max_bytes))
        end = chunk.rfind(b"\n")
        if end < 0 and len(chunk) < max_bytes:
            return []  # a line still being written
        taken = chunk[:end] if end >= 0 else chunk  # else an endless line, taken in pieces
        self.offset += end + 1 if end >= 0 else len(chunk)
        return taken.decode("utf-8", errors="replace").split("\n")


def read_output_lines(follower: FileFollower) -> list[str]:
    """New process output lines, cleaned; lines that end up empty are dropped."""
    return [text for text in (clean_line(raw) for raw in follower.read_lines()) if text]
