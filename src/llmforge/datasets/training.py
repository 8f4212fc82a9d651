"""What the training jobs use of a dataset: its files, LLaMA-Factory's dataset_info.json entry,
a dataset directory per job, and the held-out prompts for the automatic evaluation."""

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from llmforge.datasets import formats, service, storage
from llmforge.datasets.models import Dataset
from llmforge.users.models import User

SHAREGPT_TAGS = {
    "role_tag": "from",
    "content_tag": "value",
    "user_tag": "human",
    "assistant_tag": "gpt",
    "observation_tag": "observation",
    "function_tag": "function_call",
    "system_tag": "system",
}
OPENAI_TAGS = {
    "role_tag": "role",
    "content_tag": "content",
    "user_tag": "user",
    "assistant_tag": "assistant",
    "observation_tag": "tool",
    "function_tag": "function_call",
    "system_tag": "system",
}


@dataclass(frozen=True)
class TrainingDataset:
    id: int
    name: str
    format: str
    train_file: Path
    heldout_file: Path | None
    record_count: int
    has_preferences: bool


def training_dataset(dataset: Dataset, data_dir: Path) -> TrainingDataset:
    """The files of a dataset row (no ownership check: for the scheduler, which already
    checked when the job was created)."""
    directory = data_dir / dataset.storage_dir
    return TrainingDataset(
        id=dataset.id,
        name=dataset.name,
        format=dataset.format,
        train_file=directory / storage.TRAIN,
        heldout_file=directory / storage.HELDOUT if dataset.heldout_count else None,
        record_count=dataset.record_count,
        has_preferences=dataset.has_preferences,
    )


async def dataset_for_training(
    session: AsyncSession, user: User, dataset_id: int, data_dir: Path
) -> TrainingDataset:
    """The dataset if `user` may train on it (its owner, or an admin); else NotFound
    (`dataset_not_found`)."""
    dataset = await service.visible_dataset(session, user, dataset_id)
    return training_dataset(dataset, data_dir)


def _columns(ds: TrainingDataset) -> dict[str, str]:
    if ds.format == "alpaca":
        columns = {"prompt": "instruction", "query": "input", "system": "system"}
        columns["history"] = "history"
        if not ds.has_preferences:
            columns["response"] = "output"
        return columns
    columns = {"messages": "conversations" if ds.format == "sharegpt" else "messages"}
    if ds.format == "sharegpt":
        columns["system"] = "system"
    return columns


def dataset_info_entry(ds: TrainingDataset, split: str = "train") -> dict[str, Any]:
    """LLaMA-Factory's dataset_info.json entry for one split ("train" or "heldout"); its
    file_name is the split's file name, relative to the directory `write_dataset_dir` fills."""
    file_name = storage.TRAIN if split == "train" else storage.HELDOUT
    entry: dict[str, Any] = {"file_name": file_name, "columns": _columns(ds)}
    if ds.format != "alpaca":
        entry["formatting"] = "sharegpt"
        entry["tags"] = SHAREGPT_TAGS if ds.format == "sharegpt" else OPENAI_TAGS
    if ds.has_preferences:
        entry["ranking"] = True
        entry["columns"] |= {"chosen": "chosen", "rejected": "rejected"}
    return entry


def dataset_name(ds: TrainingDataset, split: str = "train") -> str:
    return f"llmforge_dataset_{ds.id}_{split}"


def _place(source: Path, target: Path) -> None:
    """A hard link when the job directory is on the same file system, else a copy."""
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def write_dataset_dir(ds: TrainingDataset, target_dir: Path, *, with_heldout: bool = False) -> str:
    """Fill `target_dir` (the job's `dataset_dir`) with dataset_info.json and the train file
    (and the held-out file, for `eval_dataset`, when asked and present); returns the name to put
    in the YAML's `dataset` key. The held-out split's name is `dataset_name(ds, "heldout")`."""
    target_dir.mkdir(parents=True, exist_ok=True)
    splits = [("train", ds.train_file)]
    if with_heldout and ds.heldout_file is not None:
        splits.append(("heldout", ds.heldout_file))
    info = {}
    for split, source in splits:
        entry = dataset_info_entry(ds, split)
        _place(source, target_dir / entry["file_name"])
        info[dataset_name(ds, split)] = entry
    (target_dir / "dataset_info.json").write_text(
        json.dumps(info, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return dataset_name(ds, "train")


def _evaluation_row(record: dict[str, Any], fmt: formats.Format) -> dict[str, Any] | None:
    conv = formats.conversation(record, fmt)
    turns = list(conv.turns)
    reference = conv.chosen
    if reference is None and turns and turns[-1][0] == "assistant":
        reference = turns.pop()[1]
    if not turns or turns[-1][0] != "user" or not turns[-1][1].strip():
        return None
    return {"prompt": turns[-1][1], "reference": reference, "system": conv.system or None}


def heldout_records(ds: TrainingDataset) -> list[dict[str, Any]]:
    """The held-out records as evaluation prompts: {prompt (the last user turn), reference (the
    answer, or the chosen one), system}. Records with no user turn to ask are skipped. Blocking
    file I/O: call it in a thread from async code."""
    if ds.heldout_file is None:
        return []
    fmt: formats.Format = ds.format  # type: ignore[assignment]
    rows = (_evaluation_row(record, fmt) for record in storage.read_jsonl(ds.heldout_file))
    return [row for row in rows if row is not None]
