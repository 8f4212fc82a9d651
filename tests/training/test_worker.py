"""`llmforge worker`: the scheduler in a process of its own. The web server runs without one,
so a job stays pending until the worker starts; the worker prepares, runs and finishes it, and
stops cleanly on SIGTERM."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.training.helpers import wait_job
from tests.training.server import Server, seed


def test_a_worker_process_runs_the_queue(tmp_path: Path) -> None:
    server = Server(tmp_path, training_in_process_scheduler="false")
    server.start()
    worker: subprocess.Popen[bytes] | None = None
    try:
        ids = seed(server)
        with server.client() as http:
            options = http.get("/api/training/options").json()
            assert options["slots"] == {"scheduler": "workers"}
            body = {
                "name": "by-worker",
                **ids,
                "preset": "quick-test",
                "hyperparameters": {"max_steps": 2, "cutoff_len": 64},
                "swanlab": {"mode": "off"},
            }
            job = http.post("/api/training/jobs", json=body).json()
            time.sleep(1.5)
            assert http.get(f"/api/training/jobs/{job['id']}").json()["status"] == "pending"

            env = {k: v for k, v in server.env().items() if k != "LLMFORGE_DATABASE_URL"}
            with (tmp_path / "worker.log").open("wb") as log:
                worker = subprocess.Popen(
                    [sys.executable, "-m", "llmforge", "worker"],
                    env=env,
                    cwd=tmp_path,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            done = wait_job(http, job["id"], timeout=300)
            assert done["status"] == "succeeded", (tmp_path / "worker.log").read_text()
            assert done["host"] and done["model_version_id"] is not None
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
        assert "waiting for jobs" in (tmp_path / "worker.log").read_text()
    finally:
        if worker is not None and worker.poll() is None:
            os.kill(worker.pid, signal.SIGKILL)
        server.stop()
