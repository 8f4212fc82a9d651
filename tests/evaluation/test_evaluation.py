"""Base vs fine-tuned on the held-out split: a real LoRA job on the tiny random llama
succeeds, its evaluation serves both models with the real `llamafactory-cli api`, runs the
held-out prompts as a batch test scored by similarity, stops the servers it started, and the
report shows both. Bad input: no held-out split, a job not succeeded, another user's job; a
server that cannot start ends the evaluation failed with the reason. SQLite only: real
processes; the evaluation's rows are plain ORM (PostgreSQL is covered by the migration test)."""

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from llmforge.datasets import formats
from llmforge.datasets.models import Dataset
from llmforge.serving import service as serving
from llmforge.training.models import JobStatus, TrainingJob
from llmforge.users.models import User
from tests.conftest import USER_PASSWORD, LiveServer, login
from tests.llamafactory_env import lf_home, llamafactory_cli, smollm2_path
from tests.serving.conftest import create_base_model, wait_for
from tests.training.helpers import add_base_model, alpaca_records, job_body, use_scheduler, wait_job

pytestmark = pytest.mark.parametrize("live_server", ["sqlite"], indirect=True)
ALICE = "alice@example.com"


@pytest.fixture
def serving_settings(server: LiveServer) -> Iterator[None]:
    """The real llamafactory-cli for serving, small answers, fail fast."""
    settings = server.settings
    names = {
        "llamafactory_cli",
        "serving_max_restarts",
        "serving_restart_backoff_seconds",
        "evaluation_max_tokens",
        "model_roots",
    }
    saved = settings.model_dump(include=names)
    settings.llamafactory_cli = str(llamafactory_cli())
    settings.serving_max_restarts = 0
    settings.serving_restart_backoff_seconds = 0.1
    settings.evaluation_max_tokens = 8
    settings.model_roots = [lf_home() / "models"]
    yield
    for name, value in saved.items():
        setattr(settings, name, value)


def _user_id(session: Any, email: str) -> Any:
    return session.scalar(select(User.id).where(User.email == email))


def add_split_dataset(server: LiveServer, email: str, heldout: int) -> int:
    """An alpaca dataset with `heldout` records set aside, stored as the datasets module does."""
    records = alpaca_records(12 + heldout)
    relative = f"datasets/eval-{uuid.uuid4().hex[:8]}"
    directory = Path(server.settings.data_dir) / relative
    directory.mkdir(parents=True)
    stored = [formats.normalize(record, "alpaca", False) for record in records]
    splits = {"train.jsonl": stored[heldout:], "heldout.jsonl": stored[:heldout]}
    for name, rows in splits.items():
        if rows:
            (directory / name).write_text("".join(json.dumps(r) + "\n" for r in rows))

    async def add(session: Any) -> int:
        dataset = Dataset(
            user_id=await _user_id(session, email),
            name=f"split-{uuid.uuid4().hex[:6]}",
            format="alpaca",
            has_preferences=False,
            record_count=len(records),
            train_count=len(records) - heldout,
            heldout_count=heldout,
            sha256="0" * 64,
            storage_dir=relative,
        )
        session.add(dataset)
        await session.flush()
        return dataset.id

    return int(server.db(add))


def add_finished_job(
    server: LiveServer, base_model_id: int, dataset_id: int, status: JobStatus
) -> int:
    """A job row as the scheduler leaves it, with a version on a missing adapter directory."""

    name = f"done-{uuid.uuid4().hex[:6]}"
    output = Path(server.settings.data_dir) / "jobs" / name
    output.mkdir(parents=True)

    async def add(session: Any) -> int:
        user_id = await _user_id(session, ALICE)
        job = TrainingJob(
            user_id=user_id,
            name=name,
            base_model_id=base_model_id,
            dataset_id=dataset_id,
            method="lora",
            stage="sft",
            template="smollm2",
            status=status,
            job_dir=str(output),
            output_dir=str(output),
        )
        session.add(job)
        await session.flush()
        version = await serving.register_version(
            session,
            user_id=user_id,
            name=job.name,
            base_model_id=base_model_id,
            adapter_path=Path(server.settings.data_dir) / "no-such-adapter",
            model_path=None,
            template="smollm2",
            finetuning_type="lora",
            job_id=job.id,
        )
        job.model_version_id = version.id
        return job.id

    return int(server.db(add))


def wait_evaluation(client: httpx.Client, job_id: int, timeout: float = 300) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    evaluation: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = client.get(f"/api/training/jobs/{job_id}/evaluation")
        evaluation = response.json()
        if response.status_code == 200 and evaluation["status"] in ("completed", "failed"):
            return evaluation
        time.sleep(0.5)
    raise AssertionError(f"the evaluation did not end in time: {evaluation}")


def test_a_succeeded_job_is_evaluated_base_vs_fine_tuned(
    server: LiveServer, alice: httpx.Client, serving_settings: None
) -> None:
    use_scheduler(server)
    body = job_body(add_base_model(server), add_split_dataset(server, ALICE, heldout=3))
    created = alice.post("/api/training/jobs", json=body)
    assert created.status_code == 201, created.text
    job = wait_job(alice, created.json()["id"])
    assert job["status"] == "succeeded", job

    evaluation = wait_evaluation(alice, job["id"])
    assert evaluation["status"] == "completed", evaluation["reason"]
    assert [side["side"] for side in evaluation["summary"]] == ["base", "fine_tuned"]
    for side in evaluation["summary"]:
        assert side["answered"] == 3 and side["errors"] == 0
        assert 0.0 <= side["mean_similarity"] <= 1.0
        assert side["mean_latency_ms"] > 0
    assert [row["position"] for row in evaluation["rows"]] == [1, 2, 3]
    assert evaluation["rows"][0]["reference"] == "The number is 0."
    for row in evaluation["rows"]:
        for side in (row["base"], row["fine_tuned"]):
            assert not side["failed"] and 0.0 <= side["similarity"] <= 1.0

    # the servers it started are stopped again (just after it is marked completed)
    for version_id in (evaluation["base_version_id"], evaluation["tuned_version_id"]):
        version = wait_for(
            alice, version_id, lambda v: v["status"] not in ("serving", "stopping"), timeout=60
        )
        assert version["status"] == "stopped", version
    run = alice.get(f"/api/batch-tests/runs/{evaluation['run_id']}").json()
    assert run["status"] == "completed" and run["progress"]["done"] == 6

    report = alice.get(f"/api/training/jobs/{job['id']}/report").json()
    assert report["evaluation"]["summary"] == evaluation["summary"]
    markdown = alice.get(f"/api/training/jobs/{job['id']}/report.md").text
    assert "## Evaluation: base vs fine-tuned" in markdown
    assert "| base |" in markdown and "| fine-tuned |" in markdown
    assert "| 1 | Say the number 0. | The number is 0. |" in markdown

    again = alice.post(f"/api/training/jobs/{job['id']}/evaluation")
    assert again.status_code == 202 and again.json()["status"] == "pending"
    assert again.json()["summary"] == []


def test_a_server_that_cannot_start_fails_the_evaluation(
    server: LiveServer, alice: httpx.Client, serving_settings: None
) -> None:
    base_model_id = add_base_model(server, f"tiny-{uuid.uuid4().hex[:6]}")
    job_id = add_finished_job(
        server, base_model_id, add_split_dataset(server, ALICE, 2), JobStatus.succeeded
    )
    server.settings.llamafactory_cli = str(Path(server.settings.data_dir) / "no-such-cli")
    started = alice.post(f"/api/training/jobs/{job_id}/evaluation")
    assert started.status_code == 202, started.text
    assert started.json()["status"] == "pending"
    busy = alice.post(f"/api/training/jobs/{job_id}/evaluation")
    assert (busy.status_code, busy.json()["code"]) == (409, "evaluation_running")

    evaluation = wait_evaluation(alice, job_id, timeout=60)
    assert evaluation["status"] == "failed"
    assert "could not be served" in evaluation["reason"]
    assert "no-such-cli" in evaluation["reason"]
    assert evaluation["run_id"] is None
    report = alice.get(f"/api/training/jobs/{job_id}/report.md").text
    assert "State: failed: Model version" in report


def test_bad_requests_are_refused(server: LiveServer, alice: httpx.Client) -> None:
    base_model_id = add_base_model(server, f"tiny-{uuid.uuid4().hex[:6]}")
    no_split = add_finished_job(
        server, base_model_id, add_split_dataset(server, ALICE, 0), JobStatus.succeeded
    )
    refused = alice.post(f"/api/training/jobs/{no_split}/evaluation")
    assert (refused.status_code, refused.json()["code"]) == (409, "no_heldout_split")
    assert "held-out" in refused.json()["message"]
    missing = alice.get(f"/api/training/jobs/{no_split}/evaluation")
    assert (missing.status_code, missing.json()["code"]) == (404, "evaluation_not_found")

    failed = add_finished_job(
        server, base_model_id, add_split_dataset(server, ALICE, 2), JobStatus.failed
    )
    refused = alice.post(f"/api/training/jobs/{failed}/evaluation")
    assert (refused.status_code, refused.json()["code"]) == (409, "job_not_succeeded")

    server.create_user("bob@example.com")
    with login(server, "bob@example.com", USER_PASSWORD) as bob:
        for response in (
            bob.post(f"/api/training/jobs/{failed}/evaluation"),
            bob.get(f"/api/training/jobs/{failed}/evaluation"),
        ):
            assert response.status_code == 404
    assert alice.get(f"/api/training/jobs/{failed}/report").json()["evaluation"] is None


def test_smollm2_dataset_uploaded_with_a_split_is_trained_and_evaluated(
    server: LiveServer, admin: httpx.Client, alice: httpx.Client, serving_settings: None
) -> None:
    """The real SmolLM2-135M: a dataset uploaded through the API with 15% held out (3 of 20
    records), a short LoRA job, and the automatic evaluation of base vs fine-tuned."""
    use_scheduler(server)
    base = create_base_model(admin, "SmolLM2-135M", smollm2_path())
    upload = "".join(json.dumps(record) + "\n" for record in alpaca_records(20))
    dataset = alice.post(
        "/api/datasets",
        params={"filename": "numbers.jsonl", "split_percent": 15},
        content=upload.encode(),
    )
    assert dataset.status_code == 201, dataset.text
    assert dataset.json()["heldout_count"] == 3
    body = job_body(base["id"], dataset.json()["id"], hyperparameters={"max_steps": 10})
    created = alice.post("/api/training/jobs", json=body)
    assert created.status_code == 201, created.text
    job = wait_job(alice, created.json()["id"], timeout=600)
    assert job["status"] == "succeeded" and job["model_version_id"] is not None, job

    evaluation = wait_evaluation(alice, job["id"], timeout=600)
    assert evaluation["status"] == "completed", evaluation["reason"]
    for side in evaluation["summary"]:
        assert side["answered"] == 3 and 0.0 <= side["mean_similarity"] <= 1.0
    assert all(row["base"]["answer"] and row["fine_tuned"]["answer"] for row in evaluation["rows"])
