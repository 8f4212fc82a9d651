"""Turning an uploaded file into a dataset directory: read, detect the format, validate every
record, split, measure, write. Blocking (file I/O and tokenizing): run it in a thread. Any
problem raises before a file of the dataset is written."""

import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmforge.core.errors import InvalidInput
from llmforge.datasets import formats, reader, stats, storage

MAX_ERRORS_SHOWN = 50


@dataclass(frozen=True)
class BuildOptions:
    filename: str
    format: formats.Format | None
    """None: detect it from the first record that fits a format."""
    split_percent: int
    split_seed: int
    cutoff_len: int
    tokenizer: stats.Tokenizer


@dataclass(frozen=True)
class Built:
    format: formats.Format
    has_preferences: bool
    record_count: int
    train_count: int
    heldout_count: int
    size_bytes: int
    sha256: str
    stats: dict[str, Any]


def _invalid(errors: list[reader.LineError]) -> InvalidInput:
    more = ", ..." if len(errors) > 5 else ""
    lines = ", ".join(str(error.line) for error in errors[:5]) + more
    return InvalidInput(
        f"{len(errors)} record(s) are not valid (line {lines}).",
        code="invalid_dataset",
        details={
            "errors": [
                {"line": error.line, "message": error.message}
                for error in errors[:MAX_ERRORS_SHOWN]
            ],
            "error_count": len(errors),
        },
    )


def _detect(items: list[reader.Item], errors: list[reader.LineError]) -> formats.Format:
    """The format of the first record that fits one; with none, the file's own errors when it
    has some."""
    for item in items:
        if not isinstance(item, reader.LineError):
            found = formats.detect(item[1])
            if found is not None:
                return found
    if errors:
        raise _invalid(errors)
    raise InvalidInput(
        "Could not recognize the format: records need 'instruction'/'output' (alpaca), "
        "'conversations' with from/value (sharegpt) or 'messages' with role/content (openai).",
        code="unknown_dataset_format",
    )


def validate(
    path: Path, options: BuildOptions
) -> tuple[formats.Format, bool, list[tuple[int, dict[str, Any]]]]:
    """(format, has preferences, normalized records with their line numbers); InvalidInput
    listing every bad line."""
    with path.open("rb") as source:
        container = reader.container_of(options.filename, source.read(64))
    items = list(reader.read(path, container))
    if not items:
        raise InvalidInput("The file holds no records.", code="empty_dataset")
    errors = [item for item in items if isinstance(item, reader.LineError)]
    fmt = options.format or _detect(items, errors)
    preferences = any(formats.has_preferences(i[1]) for i in items if isinstance(i, tuple))
    records: list[tuple[int, dict[str, Any]]] = []
    for item in items:
        if isinstance(item, tuple):
            try:
                records.append((item[0], formats.normalize(item[1], fmt, preferences)))
            except formats.RecordError as exc:
                errors.append(reader.LineError(item[0], str(exc)))
    if errors:
        raise _invalid(sorted(errors, key=lambda error: error.line))
    return fmt, preferences, records


def split_indices(count: int, percent: int, seed: int) -> set[int]:
    """The held-out record indexes: a seeded sample, the same for the same inputs."""
    held = round(count * percent / 100)
    if percent and (held == 0 or held == count):
        raise InvalidInput(
            f"{count} record(s) are too few to hold out {percent}% and still train on the rest.",
            code="dataset_too_short",
            details={"record_count": count, "split_percent": percent},
        )
    return set(random.Random(seed).sample(range(count), held))  # noqa: S311 (a split, not a secret)


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for chunk in iter(lambda: source.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write(directory: Path, records: list[tuple[int, dict[str, Any]]], heldout: set[int]) -> None:
    storage.write_jsonl(
        directory / storage.RECORDS,
        (
            {"line": line, "heldout": index in heldout, "record": record}
            for index, (line, record) in enumerate(records)
        ),
    )
    storage.write_jsonl(
        directory / storage.TRAIN, (r for i, (_, r) in enumerate(records) if i not in heldout)
    )
    if heldout:
        storage.write_jsonl(
            directory / storage.HELDOUT, (r for i, (_, r) in enumerate(records) if i in heldout)
        )


def build(upload: Path, directory: Path, options: BuildOptions) -> Built:
    """Write the dataset files into `directory` (a scratch directory)."""
    fmt, preferences, records = validate(upload, options)
    heldout = split_indices(len(records), options.split_percent, options.split_seed)
    lengths, findings, turns = stats.measure(records, fmt, options.tokenizer)
    lines = [line for line, _ in records]
    summary = stats.summarize(
        lengths, lines, findings, turns, options.tokenizer.label, options.cutoff_len
    )
    _write(directory, records, heldout)
    (directory / storage.LENGTHS).write_text(json.dumps({"lengths": lengths, "lines": lines}))
    return Built(
        format=fmt,
        has_preferences=preferences,
        record_count=len(records),
        train_count=len(records) - len(heldout),
        heldout_count=len(heldout),
        size_bytes=upload.stat().st_size,
        sha256=_digest(upload),
        stats=summary,
    )
