"""Jobs through the API: validation (nothing written or queued from bad input), preview, and a
real LoRA run of the tiny model that reports its metrics, logs and states over SSE, ends with a
report and registers a model version."""

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import LiveServer
from tests.sse import Event, iter_events
from tests.training.helpers import (
    add_base_model,
    add_dataset,
    create_job,
    job_body,
    statuses,
    use_scheduler,
    wait_job,
)


@pytest.fixture
def tiny(server: LiveServer, alice: httpx.Client) -> dict[str, int]:
    use_scheduler(server)
    return {
        "base_model_id": add_base_model(server),
        "dataset_id": add_dataset(server, "alice@example.com"),
    }


def listed(client: httpx.Client) -> int:
    return int(client.get("/api/training/jobs").json()["total"])


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"template": "no-such-template"}, 422, "unknown_template"),
        ({"hyperparameters": {"learning_rate": 3}}, 422, "hyperparameter_out_of_range"),
        ({"hyperparameters": {"lora_rank": 0}}, 422, "hyperparameter_out_of_range"),
        ({"hyperparameters": {"no_such_knob": 1}}, 422, "hyperparameter_out_of_range"),
        ({"preset": "turbo"}, 422, "unknown_preset"),
        ({"gpu_count": 9}, 422, "too_many_gpus"),
        ({"stage": "dpo"}, 422, "dpo_needs_preferences"),
        ({"base_model_id": 999999}, 404, "base_model_not_found"),
        ({"swanlab": {"mode": "cloud"}}, 422, "swanlab_key_required"),
        ({"advanced_yaml": "output_dir: /etc\n"}, 422, "managed_config_key"),
        ({"advanced_yaml": "lora_rankk: 4\n"}, 422, "unknown_config_key"),
        ({"advanced_yaml": "lora_rank: 99999\n"}, 422, "hyperparameter_out_of_range"),
        ({"advanced_yaml": "a: [1\n"}, 422, "invalid_yaml"),
        ({"method": "dora"}, 422, "validation_error"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_queued(
    alice: httpx.Client, tiny: dict[str, int], changes: dict[str, Any], status: int, code: str
) -> None:
    body = job_body(**tiny)
    body.update(changes)
    for path in ("/api/training/jobs/preview", "/api/training/jobs"):
        answer = alice.post(path, json=body)
        assert answer.status_code == status, answer.text
        assert answer.json()["code"] == code and answer.json()["message"]
    assert listed(alice) == 0


def test_another_users_dataset_and_job_are_not_found(
    server: LiveServer, admin: httpx.Client, alice: httpx.Client, tiny: dict[str, int]
) -> None:
    theirs = add_dataset(server, "root@example.com")
    answer = alice.post("/api/training/jobs", json=job_body(tiny["base_model_id"], theirs))
    assert answer.status_code == 404 and answer.json()["code"] == "dataset_not_found"
    job = create_job(
        admin, job_body(tiny["base_model_id"], theirs, hyperparameters={"max_steps": 1})
    )
    assert alice.get(f"/api/training/jobs/{job['id']}").status_code == 404
    assert alice.post(f"/api/training/jobs/{job['id']}/cancel").status_code == 404
    assert listed(alice) == 0 and listed(admin) == 1
    cancelled = admin.post(f"/api/training/jobs/{job['id']}/cancel", json={"mode": "force"})
    assert cancelled.status_code == 200
    assert wait_job(admin, job["id"])["status"] == "cancelled"


def test_preview_shows_the_yaml_with_the_advanced_edit(
    alice: httpx.Client, tiny: dict[str, int]
) -> None:
    body = job_body(**tiny, advanced_yaml="lora_rank: 4\nweight_decay: 0.01\n")
    answer = alice.post("/api/training/jobs/preview", json=body)
    assert answer.status_code == 200, answer.text
    preview = answer.json()
    assert preview["stage"] == "sft" and preview["template"] == "smollm2"
    assert "lora_rank: 4\n" in preview["yaml"] and "weight_decay: 0.01\n" in preview["yaml"]
    assert "output_dir: <job-dir>/output\n" in preview["yaml"]
    assert preview["config"]["max_steps"] == 4 and preview["config"]["learning_rate"] == 0.001
    assert listed(alice) == 0
    options = alice.get("/api/training/options").json()
    assert "smollm2" in options["templates"] and "qlora4" in options["methods"]
    assert {p["id"] for p in options["presets"]} >= {"quick-test", "lora-standard"}


def read_until_end(client: httpx.Client, job_id: int) -> list[Event]:
    events = []
    with client.stream("GET", f"/api/training/jobs/{job_id}/events", timeout=300) as response:
        assert response.status_code == 200
        for event in iter_events(response):
            events.append(event)
            if event.name == "end":
                break
    return events


def test_a_job_runs_to_success_with_live_metrics_logs_and_a_report(
    server: LiveServer, alice: httpx.Client, tiny: dict[str, int]
) -> None:
    job = create_job(alice, job_body(**tiny, hyperparameters={"max_steps": 4, "save_steps": 2}))
    assert job["status"] == "pending"
    events = read_until_end(alice, job["id"])
    names = [event.name for event in events]
    assert names[0] == "job" and names[-1] == "end" and events[-1].data["status"] == "succeeded"
    steps = [p["step"] for e in events if e.name == "metric" for p in e.data["points"]]
    assert {1, 2, 3, 4} <= set(steps)
    states = [e.data["status"] for e in events if e.name == "job"]
    assert "running" in states and states[-1] == "succeeded"
    progress = [e.data["progress"] for e in events if e.name == "job"]
    assert progress == sorted(progress) and progress[-1] == 100.0
    lines = [line for e in events if e.name == "log" for line in e.data["lines"]]
    assert [line["seq"] for line in lines] == list(range(1, len(lines) + 1))
    assert any(
        line["stream"] == "system" and "llamafactory-cli train" in line["text"] for line in lines
    )
    assert not any("\r" in line["text"] or "\x1b" in line["text"] for line in lines)
    assert statuses(alice, job["id"]) == ["pending", "queued", "running", "succeeded"]

    done = alice.get(f"/api/training/jobs/{job['id']}").json()
    assert done["attempt"] == 1 and done["current_step"] == 4 and done["total_steps"] == 4
    assert done["latest_loss"] > 0 and done["model_version_id"] is not None
    metrics = alice.get(f"/api/training/jobs/{job['id']}/metrics").json()
    assert [m["step"] for m in metrics] == [1, 2, 3, 4]
    assert all("loss" in m["values"] and "lr" in m["values"] for m in metrics)
    version = alice.get(f"/api/model-versions/{done['model_version_id']}").json()
    assert version["job_id"] == job["id"] and version["template"] == "smollm2"

    report = alice.get(f"/api/training/jobs/{job['id']}/report").json()
    assert report["final_loss"] == metrics[-1]["values"]["loss"]
    assert report["best_loss"] == min(m["values"]["loss"] for m in metrics)
    assert report["train_runtime_seconds"] > 0 and report["duration_seconds"] > 0
    assert [p["step"] for p in report["curve"]] == [1, 2, 3, 4]
    artifacts = {a["name"]: a for a in report["artifacts"]}
    assert artifacts["adapter_model.safetensors"]["size_bytes"] > 0
    assert artifacts["checkpoint-4"]["kind"] == "directory"
    markdown = alice.get(f"/api/training/jobs/{job['id']}/report.md")
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert (
        "# Training report: tiny-lora" in markdown.text
        and "adapter_model.safetensors" in markdown.text
    )
    log = alice.get(f"/api/training/jobs/{job['id']}/logs/download").text
    assert "[system] succeeded (exit status 0)" in log
    found = alice.get(f"/api/training/jobs/{job['id']}/logs", params={"q": "SUCCEEDED"}).json()
    assert found["total"] >= 1
    trainer_log = Path(done["output_dir"]) / "trainer_log.jsonl"
    assert json.loads(trainer_log.read_text().splitlines()[0])["current_steps"] == 1
    assert alice.post(f"/api/training/jobs/{job['id']}/cancel").status_code == 409
    assert alice.post(f"/api/training/jobs/{job['id']}/retry").status_code == 409
    assert alice.post(f"/api/training/jobs/{job['id']}/resume").status_code == 409


def test_a_dataset_in_use_cannot_be_deleted(alice: httpx.Client, tiny: dict[str, int]) -> None:
    job = create_job(alice, job_body(**tiny, hyperparameters={"max_steps": 200}))
    refused = alice.delete(f"/api/datasets/{tiny['dataset_id']}")
    assert refused.status_code == 409 and refused.json()["code"] == "dataset_in_use"
    active = alice.delete(f"/api/training/jobs/{job['id']}")
    assert active.status_code == 409 and active.json()["code"] == "job_active"
    assert (
        alice.post(f"/api/training/jobs/{job['id']}/cancel", json={"mode": "force"}).status_code
        == 200
    )
    assert wait_job(alice, job["id"])["status"] == "cancelled"
    still = alice.delete(f"/api/datasets/{tiny['dataset_id']}")
    assert still.status_code == 409 and still.json()["code"] == "dataset_has_jobs"
    folder = Path(alice.get(f"/api/training/jobs/{job['id']}").json()["output_dir"]).parent
    assert folder.is_dir()
    assert alice.delete(f"/api/training/jobs/{job['id']}").status_code == 204
    assert not folder.exists()
    assert alice.get(f"/api/training/jobs/{job['id']}").status_code == 404
    assert alice.delete(f"/api/datasets/{tiny['dataset_id']}").status_code == 204
