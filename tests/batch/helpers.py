import time
from typing import Any

import httpx

from llmforge.batch.runner import BatchRunner
from tests.batch.conftest import KEY
from tests.conftest import LiveServer
from tests.fakes.openai import FakeOpenAI


def add_model(
    admin: httpx.Client, provider: str, fake: FakeOpenAI, model: str = "fake-chat", **fields: Any
) -> int:
    """A provider named `provider` on `fake`, its models synced and `model` enabled."""
    created = admin.post(
        "/api/providers",
        json={
            "name": provider,
            "preset": "openai-compatible",
            "base_url": fake.base_url,
            "api_key": KEY,
        },
    )
    assert created.status_code == 201, created.text
    provider_id = created.json()["id"]
    assert admin.post(f"/api/providers/{provider_id}/refresh-models").status_code == 200
    models = admin.get(f"/api/providers/{provider_id}/models").json()
    model_id = next(m["id"] for m in models if m["model_id"] == model)
    enabled = admin.patch(f"/api/models/{model_id}", json={"enabled": True, **fields})
    assert enabled.status_code == 200, enabled.text
    return int(model_id)


def upload(
    client: httpx.Client, content: str | bytes, filename: str = "set.csv", **form: str
) -> httpx.Response:
    data = content.encode() if isinstance(content, str) else content
    return client.post("/api/batch-tests/sets", files={"file": (filename, data)}, data=form)


def make_set(client: httpx.Client, rows: list[dict[str, Any]], name: str = "set") -> int:
    created = client.post("/api/batch-tests/sets", json={"name": name, "rows": rows})
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def start_run(client: httpx.Client, set_id: int, model_ids: list[int], **options: Any) -> int:
    created = client.post(
        "/api/batch-tests/runs", json={"set_id": set_id, "model_ids": model_ids, **options}
    )
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "queued"
    return int(created.json()["id"])


def wait_run(
    client: httpx.Client,
    run_id: int,
    until: tuple[str, ...] = ("completed", "failed", "cancelled"),
    *,
    done: int | None = None,
    timeout: float = 30,
) -> dict[str, Any]:
    """Poll the run until its status is in `until` (or, with `done`, that many cells are)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run: dict[str, Any] = client.get(f"/api/batch-tests/runs/{run_id}").json()
        if done is not None and run["progress"]["done"] >= done:
            return run
        if done is None and run["status"] in until:
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not get there in time: {run}")


def chat_calls(fake: FakeOpenAI) -> int:
    return sum(1 for request in fake.requests if request.path.endswith("/chat/completions"))


async def _start(runner: BatchRunner) -> None:
    runner.start()


def stop_runner(server: LiveServer, *, release: bool) -> BatchRunner:
    old: BatchRunner = server.app.state.batch_runner
    server.call(old.stop(release=release))
    return old


def start_new_runner(server: LiveServer, old: BatchRunner, **options: Any) -> BatchRunner:
    new = BatchRunner(old.services, poll_interval=0.1, **options)
    server.app.state.batch_runner = new
    server.call(_start(new))
    return new
