"""Training overhead: the same LoRA job through llmforge and through bare `llamafactory-cli`.
Prints JSON.

    .venv/bin/python bench/training_overhead.py --rounds 3 --steps 10

Each round uploads nothing new: one alpaca dataset and one base model are registered once;
then a job is created through the API (queued, claimed by the in-process scheduler, run,
monitored) and the YAML llmforge generated for it is run again by hand with
`llamafactory-cli train`, output elsewhere. Reported, as medians over rounds:
- runtime_ratio: bare train_runtime / llmforge train_runtime (1.0 = no overhead; goal >= 0.99);
- queued_to_running_ms: from the job's `queued` transition to `running`;
- log_to_page_ms: from the moment a step's line appears in trainer_log.jsonl (watched by this
  script every 10 ms) to the moment its metric point arrives on the job's SSE stream.
Uses the LLaMA-Factory install and the models of `make llamafactory`.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.llamafactory_env import (  # noqa: E402
    lf_env,
    lf_home,
    llamafactory_cli,
    smollm2_path,
    tiny_model_path,
)

from bench.harness import ADMIN, start_llmforge, wait_ready  # noqa: E402


def alpaca(count: int) -> bytes:
    records = [
        {"instruction": f"Say the number {i}.", "input": "", "output": f"The number is {i}."}
        for i in range(count)
    ]
    return json.dumps(records).encode()


def set_up(http: httpx.Client, model_path: Path) -> tuple[int, int]:
    base = http.post(
        "/api/training/base-models",
        json={"name": model_path.name, "path": str(model_path), "template": "smollm2"},
    )
    base.raise_for_status()
    dataset = http.post(
        "/api/datasets",
        params={"filename": "numbers.json", "split_percent": 0},
        content=alpaca(40),
        headers={"Content-Type": "application/octet-stream"},
    )
    dataset.raise_for_status()
    return base.json()["id"], dataset.json()["id"]


class LogWatcher(threading.Thread):
    """Notes when each step's line first appears in trainer_log.jsonl."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path, self.seen, self.stopped = path, dict[int, float](), threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            if self.path.is_file():
                for line in self.path.read_text().splitlines():
                    try:
                        step = json.loads(line).get("current_steps")
                    except json.JSONDecodeError:
                        continue  # a line being written
                    if step is not None:
                        self.seen.setdefault(int(step), time.monotonic())
            time.sleep(0.01)


def stop_unfinished(http: httpx.Client) -> None:
    """Training processes outlive the server (a restarted one adopts them): stop ours."""
    for job in http.get("/api/training/jobs").json()["items"]:
        if job["status"] in ("pending", "queued", "running"):
            http.post(f"/api/training/jobs/{job['id']}/cancel", json={"mode": "force"})
            while http.get(f"/api/training/jobs/{job['id']}").json()["status"] == "running":
                time.sleep(0.5)


def run_through_llmforge(
    http: httpx.Client, base_model_id: int, dataset_id: int, steps: int, index: int
) -> dict[str, Any]:
    body = {
        "name": f"bench {index}",
        "base_model_id": base_model_id,
        "dataset_id": dataset_id,
        "hyperparameters": {"max_steps": steps, "save_steps": steps, "logging_steps": 1},
        "swanlab": {"mode": "off"},
    }
    created = http.post("/api/training/jobs", json=body)
    created.raise_for_status()
    job_id = created.json()["id"]
    detail = http.get(f"/api/training/jobs/{job_id}").json()
    watcher = LogWatcher(Path(detail["output_dir"]) / "trainer_log.jsonl")
    watcher.start()
    arrived: dict[int, float] = {}
    with http.stream("GET", f"/api/training/jobs/{job_id}/events", timeout=None) as events:
        name = None
        for line in events.iter_lines():
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:") and name == "metric":
                for point in json.loads(line[5:])["points"]:
                    arrived.setdefault(point["step"], time.monotonic())
            elif line.startswith("data:") and name == "end":
                break
    watcher.stopped.set()
    job = http.get(f"/api/training/jobs/{job_id}").json()
    if job["status"] != "succeeded":
        raise RuntimeError(f"job {job_id} ended {job['status']}: {job['error']}")
    transitions = http.get(f"/api/training/jobs/{job_id}/transitions").json()
    return {
        "yaml": (Path(detail["output_dir"]).parent / "job.yaml").read_text(),  # as it ran
        "train_runtime": train_runtime(Path(detail["output_dir"])),
        "queued_to_running_ms": queued_to_running_ms(transitions),
        "log_to_page_ms": [
            (arrived[step] - watcher.seen[step]) * 1000 for step in arrived if step in watcher.seen
        ],
    }


def queued_to_running_ms(transitions: list[dict[str, Any]]) -> float:
    at = {t["to_status"]: t["at"] for t in transitions}
    return (
        datetime.fromisoformat(at["running"]) - datetime.fromisoformat(at["queued"])
    ).total_seconds() * 1000


def train_runtime(output_dir: Path) -> float:
    results: dict[str, float] = json.loads((output_dir / "train_results.json").read_text())
    return float(results["train_runtime"])


def run_bare(job_yaml: str, work: Path) -> float:
    config = yaml.safe_load(job_yaml)
    config["output_dir"] = str(work / "out")
    config.pop("use_swanlab", None)
    path = work / "job.yaml"
    path.write_text(yaml.safe_dump(config))
    subprocess.run(
        [str(llamafactory_cli()), "train", str(path)],
        env=lf_env(),
        cwd=work,
        check=True,
        capture_output=True,
    )
    return train_runtime(work / "out")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--model", choices=("tiny", "smollm2"), default="smollm2")
    args = parser.parse_args()
    model_path = smollm2_path() if args.model == "smollm2" else tiny_model_path()

    with tempfile.TemporaryDirectory() as data_dir:
        os.environ["LLMFORGE_MODEL_ROOTS"] = json.dumps([str(lf_home() / "models")])
        os.environ["LLMFORGE_LLAMAFACTORY_CLI"] = str(llamafactory_cli())
        server, base = start_llmforge(data_dir, {})
        try:
            wait_ready(f"{base}/readyz")
            with httpx.Client(base_url=base, timeout=120) as http:
                token = http.post(
                    "/api/auth/login", json={"email": ADMIN[0], "password": ADMIN[1]}
                ).json()["access_token"]
                http.headers["Authorization"] = f"Bearer {token}"
                base_model_id, dataset_id = set_up(http, model_path)
                try:
                    rounds = measure(http, base_model_id, dataset_id, args, data_dir)
                finally:
                    stop_unfinished(http)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(json.dumps(summary(rounds, model_path.name, args), indent=2))


def measure(
    http: httpx.Client, base_model_id: int, dataset_id: int, args: argparse.Namespace, data_dir: str
) -> list[dict[str, Any]]:
    rounds = []
    for index in range(args.rounds):
        through = run_through_llmforge(http, base_model_id, dataset_id, args.steps, index)
        bare = run_bare(through["yaml"], Path(tempfile.mkdtemp(dir=data_dir)))
        rounds.append(
            {
                "llmforge_train_runtime_s": through["train_runtime"],
                "bare_train_runtime_s": bare,
                "runtime_ratio": round(bare / through["train_runtime"], 4),
                "queued_to_running_ms": round(through["queued_to_running_ms"], 1),
                "log_to_page_ms_median": round(statistics.median(through["log_to_page_ms"]), 1),
                "log_to_page_ms_max": round(max(through["log_to_page_ms"]), 1),
            }
        )
    return rounds


def summary(rounds: list[dict[str, Any]], model: str, args: argparse.Namespace) -> dict[str, Any]:
    def median(key: str) -> float:
        return round(float(statistics.median(r[key] for r in rounds)), 4)

    return {
        "benchmark": "training_overhead",
        "machine": f"{platform.node()} {os.cpu_count()} cores {platform.machine()}",
        "model": model,
        "steps": args.steps,
        "rounds": args.rounds,
        "runtime_ratio": median("runtime_ratio"),
        "queued_to_running_ms": median("queued_to_running_ms"),
        "log_to_page_ms_median": median("log_to_page_ms_median"),
        "log_to_page_ms_max": max(r["log_to_page_ms_max"] for r in rounds),
        "rounds_detail": rounds,
    }


if __name__ == "__main__":
    main()
