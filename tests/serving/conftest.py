"""Real LLaMA-Factory for serving tests: LoRA adapters trained once per session (the tiny
random llama for the fast lifecycle tests, SmolLM2-135M for a real answer), and the live
server's settings pointed at the LLaMA-Factory install and the model roots."""

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import LiveServer
from tests.llamafactory_env import (
    lf_home,
    llamafactory_cli,
    run_train,
    smollm2_path,
    tiny_model_path,
)

ROWS = [
    {"instruction": f"Say the number {i}.", "input": "", "output": f"The number is {i}."}
    for i in range(20)
]


def train_adapter(model: Path, workdir: Path, *, steps: int, learning_rate: float) -> Path:
    """A short real LoRA run with `llamafactory-cli train`; returns the adapter directory."""
    data = workdir / "data"
    data.mkdir(parents=True)
    (data / "numbers.json").write_text(json.dumps(ROWS))
    columns = {"prompt": "instruction", "query": "input", "response": "output"}
    info = {"numbers": {"file_name": "numbers.json", "columns": columns}}
    (data / "dataset_info.json").write_text(json.dumps(info))
    out = workdir / "adapter"
    run_train(
        {
            "model_name_or_path": str(model),
            "stage": "sft",
            "do_train": True,
            "finetuning_type": "lora",
            "lora_rank": 8,
            "lora_alpha": 16,
            "lora_target": "all",
            "dataset": "numbers",
            "dataset_dir": str(data),
            "template": "smollm2",
            "cutoff_len": 128,
            "output_dir": str(out),
            "logging_steps": 1,
            "save_steps": 1000,
            "overwrite_output_dir": True,
            "report_to": "none",
            "per_device_train_batch_size": 2,
            "learning_rate": learning_rate,
            "max_steps": steps,
            "preprocessing_num_workers": 1,
            "dataloader_num_workers": 0,
            "seed": 42,
        },
        workdir,
    )
    return out


@pytest.fixture(scope="session")
def adapters_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("adapters").resolve()


@pytest.fixture(scope="session")
def tiny_adapter(adapters_root: Path) -> Path:
    return train_adapter(tiny_model_path(), adapters_root / "tiny", steps=4, learning_rate=1e-3)


@pytest.fixture(scope="session")
def smollm2_adapter(adapters_root: Path) -> Path:
    """A gentle adapter: SmolLM2 still knows its facts after it."""
    return train_adapter(smollm2_path(), adapters_root / "smollm2", steps=3, learning_rate=1e-5)


@pytest.fixture
def roots(server: LiveServer, adapters_root: Path) -> Iterator[Path]:
    """Model roots: LLaMA-Factory's prepared models and the adapters; fast restarts."""
    settings = server.settings
    saved = settings.model_dump(
        include={"model_roots", "llamafactory_cli", "serving_restart_backoff_seconds"}
    )
    settings.model_roots = [lf_home() / "models", adapters_root]
    settings.llamafactory_cli = str(llamafactory_cli())
    settings.serving_restart_backoff_seconds = 0.5
    yield lf_home() / "models"
    for name, value in saved.items():
        setattr(settings, name, value)


def create_base_model(admin: httpx.Client, name: str, path: Path) -> dict[str, Any]:
    created = admin.post(
        "/api/training/base-models", json={"name": name, "path": str(path), "template": "smollm2"}
    )
    assert created.status_code == 201, created.text
    return dict(created.json())


def wait_for(
    client: httpx.Client,
    version_id: int,
    done: Callable[[dict[str, Any]], bool],
    timeout: float = 240.0,
) -> dict[str, Any]:
    """Poll the version until `done(version)`; fail with its last state after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        version = client.get(f"/api/model-versions/{version_id}").json()
        if done(version):
            return dict(version)
        assert time.monotonic() < deadline, f"gave up waiting; last state: {version}"
        time.sleep(0.5)
