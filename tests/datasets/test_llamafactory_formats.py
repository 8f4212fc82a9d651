"""The real LLaMA-Factory reads every format as written here: one training step of the tiny
random model per format, and every record survives its conversion (none skipped)."""

import json
import re
from pathlib import Path
from typing import Any

import pytest

from llmforge.datasets import build, stats
from llmforge.datasets.models import Dataset
from llmforge.datasets.training import training_dataset, write_dataset_dir
from tests.llamafactory_env import run_train, tiny_model_path

SHAREGPT = {
    "conversations": [
        {"from": "human", "value": "Hi"},
        {"from": "gpt", "value": "Hello!"},
        {"from": "human", "value": "Capital of Italy?"},
        {"from": "gpt", "value": "Rome."},
    ],
    "system": "You are terse.",
}
OPENAI = {
    "messages": [
        {"role": "system", "content": "Be kind."},
        {"role": "user", "content": "Hello"},
        {"role": "assistant", "content": "Hi there"},
    ]
}
OPENAI_PAIR = {
    "messages": [{"role": "user", "content": "Say hi"}],
    "chosen": "Hi!",
    "rejected": {"role": "assistant", "content": "No."},
}
ALPACA_PAIR = {"instruction": "Say hi", "input": "", "chosen": "Hi!", "rejected": "No."}
ALPACA = {"instruction": "Add", "input": "2+2", "output": "4", "history": [["Hi", "Hello"]]}


def _dataset(tmp_path: Path, record: dict[str, Any]) -> Dataset:
    directory = tmp_path / "datasets" / "1"
    directory.mkdir(parents=True)
    upload = tmp_path / "upload.jsonl"
    upload.write_text("".join(json.dumps(record) + "\n" for _ in range(6)))
    options = build.BuildOptions("u.jsonl", None, 0, 42, 256, stats.estimate_tokenizer())
    built = build.build(upload, directory, options)
    return Dataset(
        id=1,
        name="d",
        format=built.format,
        has_preferences=built.has_preferences,
        record_count=built.record_count,
        heldout_count=0,
        storage_dir="datasets/1",
    )


@pytest.mark.parametrize(
    ("record", "stage"),
    [
        (SHAREGPT, "sft"),
        (OPENAI, "sft"),
        (ALPACA, "sft"),
        (OPENAI_PAIR, "dpo"),
        (ALPACA_PAIR, "dpo"),
    ],
)
def test_llamafactory_trains_on_the_format(
    tmp_path: Path, record: dict[str, Any], stage: str
) -> None:
    ds = training_dataset(_dataset(tmp_path, record), tmp_path)
    name = write_dataset_dir(ds, tmp_path / "job")
    log = run_train(
        {
            "model_name_or_path": str(tiny_model_path()),
            "stage": stage,
            "do_train": True,
            "finetuning_type": "lora",
            "lora_target": "all",
            "dataset": name,
            "dataset_dir": str(tmp_path / "job"),
            "template": "smollm2",
            "cutoff_len": 128,
            "output_dir": str(tmp_path / "out"),
            "overwrite_output_dir": True,
            "report_to": "none",
            "per_device_train_batch_size": 2,
            "max_steps": 1,
            "preprocessing_num_workers": 1,
            "dataloader_num_workers": 0,
        },
        tmp_path,
    ).read_text(errors="replace")
    assert re.search(r"Num examples = 6\b", log), log[-3000:]
    assert "Invalid role tag" not in log
    assert (tmp_path / "out" / "adapter_model.safetensors").is_file()
