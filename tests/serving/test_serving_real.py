"""The trained model becomes usable, for real: LoRA adapters trained by LLaMA-Factory are
served by `llamafactory-cli api` under the supervisor, chatted with through llmforge, stopped,
restarted after a crash and after a server restart, and merged by `llamafactory-cli export`."""

import os
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from llmforge.serving import service
from llmforge.serving.models import ModelVersion, ServeStatus
from llmforge.serving.supervisor import ServingSupervisor
from tests.conftest import USER_PASSWORD, LiveServer, login
from tests.llamafactory_env import smollm2_path, tiny_model_path
from tests.serving.conftest import create_base_model, wait_for
from tests.sse import by_name, collect, text_of

# Real LLaMA-Factory servers test the processes, not the database: on SQLite only, the embedded
# default (whose reused ids once hid a stale server task).
pytestmark = pytest.mark.parametrize("live_server", ["sqlite"], indirect=True)


def register(server: LiveServer, owner: httpx.Client, base_model: int, adapter: Path) -> int:
    user_id = int(owner.get("/api/auth/me").json()["id"])

    async def work(session: Any) -> int:
        version = await service.register_version(
            session,
            user_id=user_id,
            name="numbers-lora",
            base_model_id=base_model,
            adapter_path=adapter,
            model_path=None,
            template="smollm2",
            finetuning_type="lora",
            job_id=None,
        )
        return version.id

    return int(server.db(work))


def group_alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    return True


def serving(version: dict[str, Any]) -> bool:
    return bool(version["status"] == "serving")


def serve(client: httpx.Client, version_id: int) -> dict[str, Any]:
    started = client.post(f"/api/model-versions/{version_id}/serve")
    assert started.status_code == 202, started.text
    assert started.json()["status"] == "starting"
    return wait_for(client, version_id, lambda v: v["status"] in ("serving", "error"))


def test_serve_a_smollm2_adapter_chat_with_it_and_stop(
    server: LiveServer,
    admin: httpx.Client,
    alice: httpx.Client,
    roots: Path,
    smollm2_adapter: Path,
) -> None:
    base_model = create_base_model(admin, "SmolLM2-135M", smollm2_path())
    version_id = register(server, alice, base_model["id"], smollm2_adapter)

    version = serve(alice, version_id)
    assert version["status"] == "serving", version["last_error"]
    again = alice.post(f"/api/model-versions/{version_id}/serve")
    assert (again.status_code, again.json()["code"]) == (409, "already_serving")
    model_id = version["served_model_id"]
    assert model_id in [m["id"] for m in alice.get("/api/models").json()]
    server.create_user("bob@example.com")
    with login(server, "bob@example.com", USER_PASSWORD) as bob:
        assert model_id not in [m["id"] for m in bob.get("/api/models").json()]
    tuned = admin.patch(
        f"/api/models/{model_id}", json={"parameters": {"temperature": 0, "max_tokens": 24}}
    )
    assert tuned.status_code == 200, tuned.text

    chat = alice.post("/api/chat/sessions", json={"model_id": model_id}).json()
    events = collect(
        alice,
        f"/api/chat/sessions/{chat['id']}/messages",
        {"content": "What is the capital of France?"},
    )
    answer = by_name(events, "done")[0]["message"]
    assert answer["status"] == "complete", answer
    assert "Paris" in text_of(events, "content") and "Paris" in answer["content"]

    pid = version["pid"]
    stopped = alice.post(f"/api/model-versions/{version_id}/stop")
    assert stopped.status_code == 200, stopped.text
    assert (stopped.json()["status"], stopped.json()["pid"]) == ("stopped", None)
    assert not group_alive(pid)
    assert model_id not in [m["id"] for m in alice.get("/api/models").json()]
    refused = alice.post("/api/chat/sessions", json={"model_id": model_id})
    assert refused.status_code == 404


@pytest.fixture
def tiny_version(server: LiveServer, admin: httpx.Client, roots: Path, tiny_adapter: Path) -> int:
    base_model = create_base_model(admin, "tiny-random-llama", tiny_model_path())
    return register(server, admin, base_model["id"], tiny_adapter)


def test_a_crashed_server_is_restarted_and_a_server_restart_serves_it_again(
    server: LiveServer, admin: httpx.Client, tiny_version: int
) -> None:
    first = serve(admin, tiny_version)
    assert first["status"] == "serving", first["last_error"]
    os.killpg(first["pid"], signal.SIGKILL)
    again = wait_for(admin, tiny_version, lambda v: serving(v) and v["restarts"] == 1)
    assert again["pid"] != first["pid"] and group_alive(again["pid"])
    assert "exited with code -9" in again["last_error"]

    # the application stops (children killed, status kept) and a new one starts
    old: ServingSupervisor = server.app.state.serving_supervisor
    server.call(old.shutdown())
    assert not group_alive(again["pid"])
    fresh = ServingSupervisor(old.services)
    server.app.state.serving_supervisor = fresh
    server.call(fresh.start())
    back = wait_for(admin, tiny_version, lambda v: serving(v) and v["pid"] != again["pid"])
    assert group_alive(back["pid"])

    # a second server process (uvicorn --workers 2) does not supervise, but can stop it
    other = ServingSupervisor(old.services)
    server.call(other.start())
    server.call(other.stop(tiny_version))
    assert not group_alive(back["pid"])
    time.sleep(2)  # the supervising process saw `stopping` and did not restart it
    stopped = admin.get(f"/api/model-versions/{tiny_version}").json()
    assert (stopped["status"], stopped["restarts"], stopped["pid"]) == ("stopped", 1, None)

    # ...and a serve request written by it is picked up by the supervising process
    server.db(lambda session: mark_starting(session, tiny_version))
    server.call(other.serve(tiny_version))  # a no-op there
    picked = wait_for(admin, tiny_version, serving)
    server.call(other.shutdown())
    assert admin.post(f"/api/model-versions/{tiny_version}/stop").json()["status"] == "stopped"
    assert not group_alive(picked["pid"])


async def mark_starting(session: Any, version_id: int) -> None:
    version = await session.get(ModelVersion, version_id)
    version.status = ServeStatus.starting


def test_export_merged_writes_a_model_directory(
    server: LiveServer, admin: httpx.Client, tiny_version: int
) -> None:
    started = admin.post(f"/api/model-versions/{tiny_version}/export")
    assert started.status_code == 202, started.text
    assert started.json()["export_status"] == "running"
    busy = admin.post(f"/api/model-versions/{tiny_version}/export")
    assert (busy.status_code, busy.json()["code"]) == (409, "export_running")
    done = wait_for(admin, tiny_version, lambda v: v["export_status"] != "running")
    assert done["export_status"] == "succeeded", done["export_error"]
    export_dir = Path(done["export_dir"])
    assert export_dir.is_relative_to(server.settings.data_dir.resolve())
    assert (export_dir / "config.json").is_file()
    assert list(export_dir.glob("*.safetensors"))


def test_a_server_that_keeps_failing_ends_in_error(
    server: LiveServer, admin: httpx.Client, roots: Path, adapters_root: Path
) -> None:
    broken = adapters_root / "broken-adapter"
    broken.mkdir(exist_ok=True)
    (broken / "adapter_config.json").write_text('{"peft_type": "LORA"}')
    base_model = create_base_model(admin, "tiny", tiny_model_path())
    version_id = register(server, admin, base_model["id"], broken)
    server.settings.serving_max_restarts = 1
    try:
        failed = serve(admin, version_id)
    finally:
        server.settings.serving_max_restarts = 3
    assert failed["status"] == "error"
    assert failed["restarts"] == 1 and failed["pid"] is None
    assert "llamafactory-cli api exited with code" in failed["last_error"]
    assert admin.post(f"/api/model-versions/{version_id}/stop").json()["status"] == "stopped"
