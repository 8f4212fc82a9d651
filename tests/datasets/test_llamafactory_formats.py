"""The real LLaMA-Factory reads every format as written here: one training step of the tiny
random model per stage over all of its formats, and every record survives its conversion
(none skipped)."""

import json
import re
from pathlib import Path
from typing import Any

import pytest

from llmforge.datasets import build, stats
from llmforge.datasets.models import Dataset
from llmforge.datasets.training import training_dataset, write_dataset_dir
from tests.llamafactory_env import run_train, tiny_model_path

pytestmark = pytest.mark.half("sqlite")  # minutes of LLaMA-Factory runs: evens out the halves

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
RECORDS = 6


def _dataset(tmp_path: Path, record: dict[str, Any], dataset_id: int) -> Dataset:
    directory = tmp_path / "datasets" / str(dataset_id)
    directory.mkdir(parents=True)
    upload = tmp_path / f"upload-{dataset_id}.jsonl"
    upload.write_text("".join(json.dumps(record) + "\n" for _ in range(RECORDS)))
    options = build.BuildOptions("u.jsonl", None, 0, 42, 256, stats.estimate_tokenizer())
    built = build.build(upload, directory, options)
    return Dataset(
        id=dataset_id,
        name=f"d{dataset_id}",
        format=built.format,
        has_preferences=built.has_preferences,
        record_count=built.record_count,
        heldout_count=0,
        storage_dir=f"datasets/{dataset_id}",
    )


def _job_datasets(tmp_path: Path, records: list[dict[str, Any]]) -> str:
    """Every record's dataset in one job folder, as LLaMA-Factory's comma-separated list."""
    job, names, info = tmp_path / "job", [], {}
    for dataset_id, record in enumerate(records, start=1):
        ds = training_dataset(_dataset(tmp_path, record, dataset_id), tmp_path)
        folder = f"d{dataset_id}"  # each dataset's train file has the same name
        names.append(write_dataset_dir(ds, job / folder))
        for name, entry in json.loads((job / folder / "dataset_info.json").read_text()).items():
            info[name] = entry | {"file_name": f"{folder}/{entry['file_name']}"}
    (job / "dataset_info.json").write_text(json.dumps(info))
    return ",".join(names)


# One run per training stage, all of its formats at once (each run starts LLaMA-Factory anew,
# which is most of its time): a format whose records were lost would lower the count.
@pytest.mark.parametrize(
    ("records", "stage"),
    [([SHAREGPT, OPENAI, ALPACA], "sft"), ([OPENAI_PAIR, ALPACA_PAIR], "dpo")],
    ids=["sft-sharegpt-openai-alpaca", "dpo-openai-alpaca-pairs"],
)
def test_llamafactory_trains_on_the_formats(
    tmp_path: Path, records: list[dict[str, Any]], stage: str
) -> None:
    log = run_train(
        {
            "model_name_or_path": str(tiny_model_path()),
            "stage": stage,
            "do_train": True,
            "finetuning_type": "lora",
            "lora_target": "all",
            "dataset": _job_datasets(tmp_path, records),
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
    assert re.search(rf"Num examples = {RECORDS * len(records)}\b", log), log[-3000:]
    assert "Invalid role tag" not in log
    assert (tmp_path / "out" / "adapter_model.safetensors").is_file()
