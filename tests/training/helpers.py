"""Jobs on the tiny random llama with the real LLaMA-Factory: a base model row, a dataset on
disk, a scheduler that runs `llamafactory-cli` from LLaMA-Factory's own environment."""

import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from llmforge.base_models.models import BaseModel
from llmforge.datasets import formats
from llmforge.datasets.models import Dataset
from llmforge.training.executor import LocalExecutor
from llmforge.training.ray_executor import RayExecutor
from llmforge.training.scheduler import SchedulerServices, TrainingScheduler
from llmforge.users.models import User
from tests.conftest import LiveServer
from tests.llamafactory_env import lf_env, llamafactory_cli, tiny_model_path

FINAL = ("succeeded", "failed", "cancelled")


def alpaca_records(count: int = 20) -> list[dict[str, str]]:
    return [
        {"instruction": f"Say the number {i}.", "input": "", "output": f"The number is {i}."}
        for i in range(count)
    ]


def use_scheduler(
    server: LiveServer,
    gpus: list[str] | None = None,
    executor: LocalExecutor | RayExecutor | None = None,
    **settings: Any,
) -> TrainingScheduler:
    """Replace the app's training scheduler by one that runs the real llamafactory-cli
    (offline) on the CPU slot, or on `gpus` slots, locally unless another `executor` is given;
    `settings` override training settings."""
    current: TrainingScheduler | None = server.app.state.training_scheduler
    values = {"training_poll_seconds": 0.25, "training_heartbeat_seconds": 1.0} | settings
    services = SchedulerServices(
        settings=server.settings.model_copy(update=values),
        box=server.app.state.secret_box,
        factory=server.app.state.session_factory,
        executor=executor or LocalExecutor(str(llamafactory_cli()), lf_env()),
    )
    scheduler = TrainingScheduler(services, gpus=gpus or [])

    async def swap() -> None:
        if current is not None:
            await current.stop()
        scheduler.start()

    server.call(swap())
    server.app.state.training_scheduler = scheduler
    return scheduler


def add_base_model(server: LiveServer, name: str = "tiny-random-llama") -> int:
    async def add(session: Any) -> int:
        model = BaseModel(name=name, path=str(tiny_model_path()), template="smollm2")
        session.add(model)
        await session.flush()
        return model.id

    return int(server.db(add))


def add_dataset(
    server: LiveServer,
    email: str,
    records: list[dict[str, Any]] | None = None,
    *,
    preferences: bool = False,
) -> int:
    """An alpaca dataset of `email`'s, written as the datasets module stores one."""
    records = records or alpaca_records()
    relative = f"datasets/test-{uuid.uuid4().hex[:8]}"
    directory = Path(server.settings.data_dir) / relative
    directory.mkdir(parents=True)
    stored = [formats.normalize(record, "alpaca", preferences) for record in records]
    (directory / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in stored))

    async def add(session: Any) -> int:
        from sqlalchemy import select

        user = await session.scalar(select(User).where(User.email == email))
        dataset = Dataset(
            user_id=user.id,
            name=f"set-{uuid.uuid4().hex[:6]}",
            format="alpaca",
            has_preferences=preferences,
            record_count=len(records),
            train_count=len(records),
            sha256="0" * 64,
            storage_dir=relative,
        )
        session.add(dataset)
        await session.flush()
        return dataset.id

    return int(server.db(add))


def job_body(base_model_id: int, dataset_id: int, **changes: Any) -> dict[str, Any]:
    hyperparameters = {"max_steps": 4, "save_steps": 2, "cutoff_len": 64} | changes.pop(
        "hyperparameters", {}
    )
    return {
        "name": "tiny-lora",
        "base_model_id": base_model_id,
        "dataset_id": dataset_id,
        "preset": "quick-test",
        "hyperparameters": hyperparameters,
        "swanlab": {"mode": "off"},
    } | changes


def create_job(client: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    created = client.post("/api/training/jobs", json=body)
    assert created.status_code == 201, created.text
    job: dict[str, Any] = created.json()
    return job


def wait_job(
    client: httpx.Client,
    job_id: int,
    until: tuple[str, ...] = FINAL,
    *,
    step: int | None = None,
    timeout: float = 300,
) -> dict[str, Any]:
    """Poll until the job's status is in `until` (or, with `step`, it logged that step)."""
    deadline = time.monotonic() + timeout
    job: dict[str, Any] = {}
    while time.monotonic() < deadline:
        job = client.get(f"/api/training/jobs/{job_id}").json()
        if step is not None and job["current_step"] >= step and job["status"] == "running":
            return job
        if job["status"] in until and step is None:
            return job
        if step is not None and job["status"] in FINAL:
            raise AssertionError(f"job {job_id} ended before step {step}: {job}")
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not get there in time: {job}")


def statuses(client: httpx.Client, job_id: int) -> list[str]:
    rows = client.get(f"/api/training/jobs/{job_id}/transitions").json()
    return [row["to_status"] for row in rows]
