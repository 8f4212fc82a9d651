"""A job row without a folder of its own (written by hand, or by an older version) must not
run: its empty job_dir is the server's working directory, which a fresh attempt would empty
(a test's such row once wiped a CI checkout)."""

from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from llmforge.training.models import JobStatus, TrainingJob
from llmforge.training.workspace import is_job_folder
from llmforge.users.models import User
from tests.conftest import LiveServer
from tests.training.helpers import add_base_model, add_dataset, use_scheduler, wait_job


def test_a_job_without_a_folder_fails_and_touches_nothing(
    server: LiveServer, alice: httpx.Client
) -> None:
    base_model_id = add_base_model(server)
    dataset_id = add_dataset(server, "alice@example.com")
    before = sorted(Path.cwd().iterdir())

    async def add_job(session: Any) -> int:
        user_id = await session.scalar(select(User.id).where(User.email == "alice@example.com"))
        job = TrainingJob(
            user_id=user_id,
            name="no folder",
            base_model_id=base_model_id,
            dataset_id=dataset_id,
            method="lora",
            stage="sft",
            template="smollm2",
            status=JobStatus.queued,
        )
        session.add(job)
        await session.flush()
        return int(job.id)

    job_id = server.db(add_job)
    use_scheduler(server)
    job = wait_job(alice, job_id, timeout=60)
    assert job["status"] == "failed"
    assert "no folder of its own" in job["error"]
    assert sorted(Path.cwd().iterdir()) == before


def test_only_an_absolute_folder_holding_the_output_is_a_job_folder() -> None:
    assert is_job_folder(Path("/data/training/job-1"), Path("/data/training/job-1/output"))
    assert not is_job_folder(Path(""), Path("output"))
    assert not is_job_folder(Path("/"), Path("/output"))
    assert not is_job_folder(Path("relative/job"), Path("relative/job/output"))
    assert not is_job_folder(Path("/data/job-1"), Path("/data/elsewhere"))
    assert not is_job_folder(Path("/data/job-1"), Path("/data/job-1"))
