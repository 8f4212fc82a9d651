"""Restart recovery with a real `llmforge serve` process killed with SIGKILL mid-job: when it
comes back, a training process that still runs is adopted and followed to its end; one that is
gone too is resumed from its last checkpoint. Nothing is stored twice, nothing stays running."""

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.training.helpers import wait_job
from tests.training.server import Server, jobs_in, seed


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Server]:
    server = Server(tmp_path)
    server.start()
    yield server
    server.stop()
    with contextlib.suppress(Exception):
        for job in jobs_in(server):
            if job.pid:
                os.killpg(job.pid, signal.SIGKILL)


def start_job(http: httpx.Client, ids: dict[str, int]) -> dict[str, Any]:
    body = {
        "name": "restart",
        **ids,
        "preset": "quick-test",
        "hyperparameters": {"max_steps": 40, "save_steps": 3, "cutoff_len": 64},
        "swanlab": {"mode": "off"},
    }
    created = http.post("/api/training/jobs", json=body)
    assert created.status_code == 201, created.text
    job: dict[str, Any] = created.json()
    return job


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return (
        Path(f"/proc/{pid}").exists()
        and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]
    )


@pytest.mark.parametrize("training", ["keeps running", "is gone too"])
def test_a_job_survives_a_killed_server(served: Server, training: str) -> None:
    ids = seed(served)
    with served.client() as http:
        job = start_job(http, ids)
        wait_job(http, job["id"], step=4, timeout=300)
    (row,) = jobs_in(served)
    assert row.pid is not None and process_alive(row.pid)
    served.kill()
    if training == "is gone too":
        os.killpg(row.pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while process_alive(row.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
    assert jobs_in(served)[0].status == "running"  # as the killed server left it

    served.start()
    with served.client() as http:
        done = wait_job(http, job["id"], timeout=300)
        assert done["status"] == "succeeded", done
        transitions = http.get(f"/api/training/jobs/{job['id']}/transitions").json()
        metrics = http.get(f"/api/training/jobs/{job['id']}/metrics").json()
        lines = http.get(f"/api/training/jobs/{job['id']}/logs", params={"page_size": 200}).json()
        total = lines["total"]
        every = [
            line
            for page in range(1, total // 200 + 2)
            for line in http.get(
                f"/api/training/jobs/{job['id']}/logs", params={"page_size": 200, "page": page}
            ).json()["items"]
        ]
    assert [m["step"] for m in metrics] == list(range(1, 41))
    assert [line["seq"] for line in every] == list(range(1, total + 1))
    flow = [t["to_status"] for t in transitions]
    if training == "keeps running":
        assert done["attempt"] == 1  # adopted: the same process went on
        assert flow == ["pending", "queued", "running", "succeeded"]
        started = [line for line in every if "llamafactory-cli train" in line["text"]]
        assert len(started) == 1
    else:
        assert done["attempt"] == 2
        assert flow == ["pending", "queued", "running", "queued", "running", "succeeded"]
        assert transitions[3]["reason"].startswith(
            "the training process was lost; resuming from checkpoint-"
        )
