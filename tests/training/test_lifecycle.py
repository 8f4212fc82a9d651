"""A job's life on the real LLaMA-Factory with the tiny model: cancel (graceful saves the
weights, forced does not), resume from the last checkpoint without counting a step twice, and
one slot for two jobs (the second waits). SQLite only: these run real training processes and
the PostgreSQL claims are covered by the API tests."""

from pathlib import Path

import httpx
import pytest

from tests.conftest import LiveServer
from tests.training.helpers import (
    add_base_model,
    add_dataset,
    create_job,
    job_body,
    statuses,
    use_scheduler,
    wait_job,
)

# Real LLaMA-Factory runs test the processes, not the database: each such file runs on one
# database. The scheduler's claims here take PostgreSQL's `FOR UPDATE SKIP LOCKED` path.
pytestmark = pytest.mark.parametrize("live_server", ["postgres"], indirect=True)


@pytest.fixture
def tiny(server: LiveServer, alice: httpx.Client) -> dict[str, int]:
    use_scheduler(server)
    return {
        "base_model_id": add_base_model(server),
        "dataset_id": add_dataset(server, "alice@example.com"),
    }


def steps_in_trainer_log(output_dir: str) -> list[int]:
    import json

    path = Path(output_dir) / "trainer_log.jsonl"
    return [json.loads(line)["current_steps"] for line in path.read_text().splitlines()]


def test_graceful_cancel_saves_the_weights(alice: httpx.Client, tiny: dict[str, int]) -> None:
    job = create_job(alice, job_body(**tiny, hyperparameters={"max_steps": 400}))
    wait_job(alice, job["id"], step=2)
    asked = alice.post(f"/api/training/jobs/{job['id']}/cancel", json={"mode": "graceful"})
    assert asked.status_code == 200 and asked.json()["cancel_requested"] == "graceful"
    done = wait_job(alice, job["id"])
    assert done["status"] == "cancelled" and done["model_version_id"] is None
    assert 2 <= done["current_step"] < 400
    output = Path(done["output_dir"])
    assert (output / "adapter_model.safetensors").stat().st_size > 0
    assert (output / "all_results.json").is_file()
    reason = alice.get(f"/api/training/jobs/{job['id']}/transitions").json()[-1]["reason"]
    assert reason.startswith("cancelled (graceful); the weights were saved")
    log = alice.get(f"/api/training/jobs/{job['id']}/logs/download").text
    assert "graceful stop: SIGABRT sent" in log and "cancelled (exit status 0)" in log


def test_forced_cancel_then_resume_from_the_checkpoint(
    alice: httpx.Client, tiny: dict[str, int]
) -> None:
    body = job_body(**tiny, hyperparameters={"max_steps": 30, "save_steps": 3})
    job = create_job(alice, body)
    assert alice.post(f"/api/training/jobs/{job['id']}/resume").status_code == 409
    wait_job(alice, job["id"], step=5)
    forced = alice.post(f"/api/training/jobs/{job['id']}/cancel", json={"mode": "force"})
    assert forced.json()["cancel_requested"] == "force"
    stopped = wait_job(alice, job["id"])
    assert stopped["status"] == "cancelled" and stopped["can_resume"]
    assert stopped["exit_code"] is not None and stopped["exit_code"] != 0
    output = Path(stopped["output_dir"])
    assert not (output / "adapter_model.safetensors").exists()  # no final weights
    logged_before = steps_in_trainer_log(stopped["output_dir"])

    resumed = alice.post(f"/api/training/jobs/{job['id']}/resume")
    assert resumed.status_code == 200 and resumed.json()["status"] == "queued"
    done = wait_job(alice, job["id"])
    assert done["status"] == "succeeded" and done["attempt"] == 2
    logged = steps_in_trainer_log(done["output_dir"])
    assert len(logged) > len(set(logged))  # LLaMA-Factory appended steps it had logged before
    assert logged[: len(logged_before)] == logged_before
    metrics = alice.get(f"/api/training/jobs/{job['id']}/metrics").json()
    assert [m["step"] for m in metrics] == list(range(1, 31))  # each step once
    assert statuses(alice, job["id"]) == [
        "pending",
        "queued",
        "running",
        "cancelled",
        "queued",
        "running",
        "succeeded",
    ]
    lines = alice.get(
        f"/api/training/jobs/{job['id']}/logs", params={"page_size": 200, "q": "attempt"}
    ).json()
    texts = [line["text"] for line in lines["items"]]
    assert any(
        "attempt 2" in text and "resuming from the last checkpoint" in text for text in texts
    )


def test_two_jobs_and_one_slot(alice: httpx.Client, tiny: dict[str, int]) -> None:
    first = create_job(alice, job_body(**tiny, name="first", hyperparameters={"max_steps": 3}))
    second = create_job(alice, job_body(**tiny, name="second", hyperparameters={"max_steps": 3}))
    running = wait_job(alice, first["id"], step=1)
    waiting = alice.get(f"/api/training/jobs/{second['id']}").json()
    assert running["status"] == "running" and waiting["status"] == "queued"
    done_first = wait_job(alice, first["id"])
    done_second = wait_job(alice, second["id"])
    assert done_first["status"] == done_second["status"] == "succeeded"
    assert done_second["started_at"] >= done_first["finished_at"]
    queued = alice.get("/api/training/jobs", params={"status": "succeeded"}).json()
    assert queued["total"] == 2


def test_retry_starts_over(alice: httpx.Client, tiny: dict[str, int]) -> None:
    job = create_job(alice, job_body(**tiny, hyperparameters={"max_steps": 3, "cutoff_len": 16}))
    cancelled = alice.post(f"/api/training/jobs/{job['id']}/cancel", json={"mode": "force"})
    assert cancelled.status_code == 200
    assert wait_job(alice, job["id"])["status"] == "cancelled"
    retried = alice.post(f"/api/training/jobs/{job['id']}/retry")
    assert retried.status_code == 200 and retried.json()["status"] == "queued"
    done = wait_job(alice, job["id"])
    assert done["status"] == "succeeded" and done["current_step"] == 3
    assert [m["step"] for m in alice.get(f"/api/training/jobs/{job['id']}/metrics").json()] == [
        1,
        2,
        3,
    ]


def test_two_slots_and_the_per_user_limit(
    server: LiveServer, admin: httpx.Client, alice: httpx.Client
) -> None:
    """Two GPU slots (ids only: on this CPU machine CUDA_VISIBLE_DEVICES changes nothing, fp32
    keeps LLaMA-Factory on the CPU) and at most one running job per user: alice's second job
    waits although a slot is free, the admin's job takes it."""
    use_scheduler(server, gpus=["0", "1"], training_max_running_per_user=1)
    base = add_base_model(server)
    params = {"max_steps": 3, "precision": "fp32"}
    first = create_job(
        alice, job_body(base, add_dataset(server, "alice@example.com"), hyperparameters=params)
    )
    second = create_job(
        alice, job_body(base, add_dataset(server, "alice@example.com"), hyperparameters=params)
    )
    other = create_job(
        admin, job_body(base, add_dataset(server, "root@example.com"), hyperparameters=params)
    )
    running = wait_job(alice, first["id"], step=1)
    assert alice.get(f"/api/training/jobs/{second['id']}").json()["status"] == "queued"
    theirs = wait_job(admin, other["id"], until=("running", "succeeded"))
    assert {running["gpus"], theirs["gpus"]} == {"0", "1"}
    done = [wait_job(admin, job["id"]) for job in (first, second, other)]
    assert [job["status"] for job in done] == ["succeeded"] * 3
    assert done[1]["started_at"] >= done[0]["finished_at"]
    assert "bf16" not in done[0]["yaml"] and "use_cpu" not in done[0]["yaml"]
    listed = admin.get("/api/training/jobs").json()
    assert listed["total"] == 3 and alice.get("/api/training/jobs").json()["total"] == 2
