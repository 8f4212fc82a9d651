"""Where a dataset's files live: data_dir/datasets/<id>/, written whole or not at all."""

import json
import shutil
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

UPLOAD = "upload"
"""The uploaded file while it is checked (removed before the directory is published)."""
RECORDS = "records.jsonl"
"""Every normalized record in upload order (the preview reads it)."""
TRAIN = "train.jsonl"
HELDOUT = "heldout.jsonl"
LENGTHS = "lengths.json"
"""The token length of every record, in upload order (statistics for another cutoff)."""
ROOT = "datasets"


def root(data_dir: Path) -> Path:
    return data_dir / ROOT


def relative_dir(dataset_id: int) -> str:
    return f"{ROOT}/{dataset_id}"


def scratch_dir(data_dir: Path) -> Path:
    """A fresh private directory beside the datasets, for an upload in progress."""
    path = root(data_dir) / f".incoming-{uuid.uuid4().hex}"
    path.mkdir(parents=True)
    return path


def write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False))
            out.write("\n")


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as source:
        for line in source:
            yield json.loads(line)


def publish(scratch: Path, data_dir: Path, dataset_id: int) -> str:
    """Move a finished scratch directory to its final place in one rename; returns the
    directory relative to the data dir. A leftover directory of a row that never committed is
    replaced."""
    relative = relative_dir(dataset_id)
    target = data_dir / relative
    if target.exists():
        shutil.rmtree(target)
    scratch.rename(target)
    return relative


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
