"""The ray executor against a real local Ray head (started here from this environment's `ray`
CLI, one CPU, its own temp dir and session) running the real LLaMA-Factory on the tiny model:
a job runs to success with its metrics and Ray's log stored, a graceful and a forced cancel,
and a new scheduler re-adopts a running Ray job by its submission id. The job folders are on
this machine's filesystem, which the local Ray worker shares."""

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from ray.job_submission import JobStatus, JobSubmissionClient

from llmforge.training.ray_executor import RayExecutor, submission_id
from tests.conftest import LiveServer
from tests.llamafactory_env import free_port, llamafactory_cli
from tests.training.helpers import (
    add_base_model,
    add_dataset,
    create_job,
    job_body,
    use_scheduler,
    wait_job,
)

pytestmark = pytest.mark.parametrize("live_server", ["sqlite"], indirect=True)


def _ray_head_args(temp_dir: str) -> list[str]:
    return [
        str(Path(sys.executable).parent / "ray"),
        "start",
        "--head",
        f"--port={free_port()}",
        f"--dashboard-port={free_port()}",
        f"--ray-client-server-port={free_port()}",
        f"--dashboard-agent-listen-port={free_port()}",
        "--dashboard-host=127.0.0.1",
        "--include-dashboard=true",
        "--num-cpus=1",
        "--object-store-memory=100000000",
        f"--temp-dir={temp_dir}",
        "--disable-usage-stats",
    ]


def _stop_head(client: JobSubmissionClient | None, group: int, temp_dir: str) -> None:
    """Stop what is left of the test's jobs, then the head's process group (only ours)."""
    with contextlib.suppress(Exception):
        for job in client.list_jobs() if client is not None else []:
            if not job.status.is_terminal() and job.submission_id and client is not None:
                client.stop_job(job.submission_id)
    for signum, pause in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 0.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signum)
        time.sleep(pause)
    shutil.rmtree(temp_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def ray_address() -> Iterator[str]:
    temp_dir = tempfile.mkdtemp(prefix="llmforge-ray-")
    args = _ray_head_args(temp_dir)
    dashboard = next(a for a in args if a.startswith("--dashboard-port=")).split("=")[1]
    address = f"http://127.0.0.1:{dashboard}"
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0")
    started = subprocess.Popen(args, env=env, start_new_session=True)
    client = None
    try:
        assert started.wait(timeout=240) == 0, "ray start --head failed"
        deadline = time.monotonic() + 120
        while client is None:
            try:
                client = JobSubmissionClient(address)
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)
        yield address
    finally:
        _stop_head(client, started.pid, temp_dir)


@pytest.fixture
def ray_jobs(ray_address: str) -> JobSubmissionClient:
    return JobSubmissionClient(ray_address)


@pytest.fixture
def tiny(server: LiveServer, alice: httpx.Client, ray_address: str) -> dict[str, int]:
    use_scheduler(server, executor=ray_executor(ray_address))
    return {
        "base_model_id": add_base_model(server),
        "dataset_id": add_dataset(server, "alice@example.com"),
    }


def ray_executor(address: str) -> RayExecutor:
    return RayExecutor(address, str(llamafactory_cli()), kill_timeout=3)


def sid_of(job: dict[str, Any]) -> str:
    return submission_id(job["id"], job["attempt"], Path(job["output_dir"]).parent)


def ray_job_of(ray_jobs: JobSubmissionClient, job: dict[str, Any]) -> str:
    return str(ray_jobs.get_job_info(sid_of(job)).status)


def test_a_job_runs_on_ray_to_success(
    alice: httpx.Client, tiny: dict[str, int], ray_jobs: JobSubmissionClient
) -> None:
    job = create_job(alice, job_body(**tiny, hyperparameters={"max_steps": 3, "save_steps": 3}))
    done = wait_job(alice, job["id"])
    assert done["status"] == "succeeded", done
    assert done["exit_code"] == 0 and done["model_version_id"] is not None
    assert ray_job_of(ray_jobs, done) == JobStatus.SUCCEEDED
    metrics = alice.get(f"/api/training/jobs/{job['id']}/metrics").json()
    assert [point["step"] for point in metrics] == [1, 2, 3]
    assert all("loss" in point["values"] for point in metrics)
    log = alice.get(f"/api/training/jobs/{job['id']}/logs/download").text
    assert f"Ray job {sid_of(done)}" in log  # the system line naming the submission
    assert "train_loss" in log  # LLaMA-Factory's own output, streamed from Ray's job log


def test_graceful_cancel_on_ray_saves_the_weights(
    alice: httpx.Client, tiny: dict[str, int], ray_jobs: JobSubmissionClient
) -> None:
    job = create_job(alice, job_body(**tiny, hyperparameters={"max_steps": 400}))
    wait_job(alice, job["id"], step=2)
    alice.post(f"/api/training/jobs/{job['id']}/cancel", json={"mode": "graceful"})
    done = wait_job(alice, job["id"])
    assert done["status"] == "cancelled" and done["exit_code"] == 0
    assert 2 <= done["current_step"] < 400
    assert (Path(done["output_dir"]) / "adapter_model.safetensors").stat().st_size > 0
    assert ray_job_of(ray_jobs, done) == JobStatus.SUCCEEDED  # the trainer ended by itself


def test_forced_cancel_stops_the_ray_job(
    alice: httpx.Client, tiny: dict[str, int], ray_jobs: JobSubmissionClient
) -> None:
    job = create_job(alice, job_body(**tiny, hyperparameters={"max_steps": 400}))
    wait_job(alice, job["id"], step=2)
    alice.post(f"/api/training/jobs/{job['id']}/cancel", json={"mode": "force"})
    done = wait_job(alice, job["id"])
    assert done["status"] == "cancelled" and done["current_step"] < 400
    assert not (Path(done["output_dir"]) / "adapter_model.safetensors").exists()
    assert ray_job_of(ray_jobs, done) == JobStatus.STOPPED


def test_a_new_scheduler_adopts_the_running_ray_job(
    server: LiveServer,
    alice: httpx.Client,
    tiny: dict[str, int],
    ray_address: str,
    ray_jobs: JobSubmissionClient,
) -> None:
    job = create_job(alice, job_body(**tiny, hyperparameters={"max_steps": 16, "save_steps": 8}))
    running = wait_job(alice, job["id"], step=2)
    use_scheduler(server, executor=ray_executor(ray_address))  # the old one stops following
    assert ray_job_of(ray_jobs, running) == JobStatus.RUNNING  # Ray's job went on meanwhile
    done = wait_job(alice, job["id"])
    assert done["status"] == "succeeded" and done["attempt"] == 1  # adopted, not restarted
    steps = [p["step"] for p in alice.get(f"/api/training/jobs/{job['id']}/metrics").json()]
    assert steps == list(range(1, 17))
    log = alice.get(f"/api/training/jobs/{job['id']}/logs/download").text
    assert log.count("***** train metrics *****") == 1  # Ray's log streamed once, not twice


def test_an_unreachable_ray_cluster_fails_the_job_with_the_reason(
    server: LiveServer, alice: httpx.Client
) -> None:
    address = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    use_scheduler(server, executor=ray_executor(address))
    ids = {
        "base_model_id": add_base_model(server),
        "dataset_id": add_dataset(server, "alice@example.com"),
    }
    done = wait_job(alice, create_job(alice, job_body(**ids))["id"], timeout=120)
    assert done["status"] == "failed"
    assert done["error"].startswith(f"The Ray cluster at '{address}' could not be reached")
