"""The cross-user access matrix: every route with a resource id in its path (from the OpenAPI
document), every method, called by a second plain user on the first user's resources. Another
user's resource is a 404; admin routes are a 403; the shared base-model catalogue is readable.
A route missing from MATRIX fails the test, so the matrix stays complete."""

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from llmforge.serving import service as serving
from tests.batch.helpers import make_set, start_run
from tests.chat_fixtures import register_model
from tests.compare.helpers import compare, lanes_body, run_of
from tests.conftest import USER_PASSWORD, LiveServer, login
from tests.fakes.openai import FakeOpenAI
from tests.knowledge.conftest import create_kb, upload
from tests.sse import collect
from tests.training.helpers import add_base_model, alpaca_records, create_job, job_body

KEY = "sk-matrix-test"
FORBIDDEN, NOT_FOUND, OK = 403, 404, 200
MATRIX: dict[str, dict[str, int]] = {
    "/api/auth/locks/{kind}/{key}": {"DELETE": 403},
    "/api/users/{user_id}": {"DELETE": 403, "GET": 403, "PATCH": 403},
    "/api/users/{user_id}/password": {"POST": 403},
    "/api/providers/{provider_id}": {"DELETE": 403, "GET": 403, "PATCH": 403},
    "/api/providers/{provider_id}/refresh-models": {"POST": 403},
    "/api/providers/{provider_id}/test": {"POST": 403},
    "/api/providers/{provider_id}/models": {"GET": 403, "POST": 403},
    "/api/models/{model_id}": {"DELETE": 403, "PATCH": 403},
    "/api/chat/sessions/{session_id}": {"DELETE": 404, "GET": 404, "PATCH": 404},
    "/api/chat/sessions/{session_id}/export": {"GET": 404},
    "/api/chat/sessions/{session_id}/switch": {"POST": 404},
    "/api/chat/sessions/{session_id}/messages": {"POST": 404},
    "/api/chat/messages/{message_id}/regenerate": {"POST": 404},
    "/api/chat/messages/{message_id}/edit": {"POST": 404},
    "/api/chat/messages/{message_id}": {"DELETE": 404},
    "/api/compare/{run_id}": {"DELETE": 404, "GET": 404},
    "/api/compare/{run_id}/stop": {"POST": 404},
    "/api/compare/{run_id}/lanes/{lane_id}/stop": {"POST": 404},
    "/api/compare/{run_id}/vote": {"POST": 404},
    "/api/compare/{run_id}/reveal": {"POST": 404},
    "/api/compare/{run_id}/rerun": {"POST": 404},
    "/api/compare/{run_id}/lanes/{lane_id}/continue": {"POST": 404},
    "/api/batch-tests/sets/{set_id}": {"DELETE": 404, "GET": 404, "PUT": 404},
    "/api/batch-tests/runs/{run_id}": {"DELETE": 404, "GET": 404},
    "/api/batch-tests/runs/{run_id}/cancel": {"POST": 404},
    "/api/batch-tests/runs/{run_id}/results": {"GET": 404},
    "/api/batch-tests/runs/{run_id}/export": {"GET": 404},
    "/api/usage/quotas/{user_id}": {"DELETE": 403, "GET": 403, "PUT": 403},
    "/api/prompts/{template_id}": {"DELETE": 404, "GET": 404, "PATCH": 404},
    "/api/prompts/{template_id}/versions": {"GET": 404},
    "/api/prompts/{template_id}/versions/{version}": {"GET": 404},
    "/api/prompts/{template_id}/diff": {"GET": 404},
    "/api/prompts/{template_id}/restore/{version}": {"POST": 404},
    "/api/prompts/{template_id}/render": {"POST": 404},
    "/api/datasets/{dataset_id}": {"DELETE": 404, "GET": 404},
    "/api/datasets/{dataset_id}/stats": {"GET": 404},
    "/api/datasets/{dataset_id}/records": {"GET": 404},
    # The base models are a catalogue every user reads; only admins change it.
    "/api/training/base-models/{base_model_id}": {"DELETE": 403, "GET": 200, "PATCH": 403},
    "/api/model-versions/{version_id}": {"DELETE": 404, "GET": 404},
    "/api/model-versions/{version_id}/serve": {"POST": 404},
    "/api/model-versions/{version_id}/stop": {"POST": 404},
    "/api/model-versions/{version_id}/export": {"POST": 404},
    "/api/training/jobs/{job_id}": {"DELETE": 404, "GET": 404},
    "/api/training/jobs/{job_id}/cancel": {"POST": 404},
    "/api/training/jobs/{job_id}/retry": {"POST": 404},
    "/api/training/jobs/{job_id}/resume": {"POST": 404},
    "/api/training/jobs/{job_id}/transitions": {"GET": 404},
    "/api/training/jobs/{job_id}/metrics": {"GET": 404},
    "/api/training/jobs/{job_id}/logs": {"GET": 404},
    "/api/training/jobs/{job_id}/logs/download": {"GET": 404},
    "/api/training/jobs/{job_id}/report": {"GET": 404},
    "/api/training/jobs/{job_id}/report.md": {"GET": 404},
    "/api/training/jobs/{job_id}/events": {"GET": 404},
    "/api/training/jobs/{job_id}/evaluation": {"GET": 404, "POST": 404},
    "/api/knowledge-bases/{kb_id}": {"DELETE": 404, "GET": 404, "PATCH": 404},
    "/api/knowledge-bases/{kb_id}/documents": {"GET": 404, "POST": 404},
    "/api/knowledge-bases/{kb_id}/documents/{doc_id}": {"DELETE": 404, "GET": 404},
    "/api/knowledge-bases/{kb_id}/documents/{doc_id}/chunks": {"GET": 404},
    "/api/knowledge-bases/{kb_id}/documents/{doc_id}/file": {"GET": 404},
    "/api/knowledge-bases/{kb_id}/documents/{doc_id}/reindex": {"POST": 404},
    "/api/knowledge-bases/{kb_id}/retrieve": {"POST": 404},
    "/api/dify-apps/{app_id}": {"DELETE": 404, "GET": 404, "PATCH": 404},
    "/api/dify-apps/{app_id}/test": {"POST": 404},
    "/api/dify-apps/{app_id}/chat-sessions": {"POST": 404},
    "/api/dify-apps/chat-sessions/{session_id}": {"GET": 404},
    "/api/api-keys/{key_id}": {"DELETE": 404},
    "/api/api-keys/{key_id}/revoke": {"POST": 404},
}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=KEY) as server:
        yield server


@pytest.fixture
def bob(server: LiveServer) -> Iterator[httpx.Client]:
    server.create_user("bob@example.com")
    with login(server, "bob@example.com", USER_PASSWORD) as http:
        yield http


def alice_resources(
    server: LiveServer, admin: httpx.Client, alice: httpx.Client, fake: FakeOpenAI
) -> dict[str, Any]:
    """One of every kind of resource, owned by alice; the ids by path parameter."""
    common = {"preset": "openai-compatible", "base_url": fake.base_url, "api_key": KEY}
    chat_model = register_model(admin, model="fake-chat", **common)  # type: ignore[arg-type]
    embed_model = register_model(
        admin,
        model="fake-embed",
        capabilities=["embedding"],
        **common,  # type: ignore[arg-type]
    )
    provider_id = admin.get("/api/providers").json()[0]["id"]
    chat = alice.post("/api/chat/sessions", json={"model_id": chat_model}).json()
    collect(alice, f"/api/chat/sessions/{chat['id']}/messages", {"content": "Hello"})
    message_id = alice.get(f"/api/chat/sessions/{chat['id']}").json()["messages"][0]["id"]
    run = run_of(compare(alice, lanes_body([chat_model, chat_model])))
    set_id = make_set(alice, [{"prompt": "Say hi"}])
    template = alice.post(
        "/api/prompts", json={"name": "T", "body": "Hi {{name}}", "variables": [{"name": "name"}]}
    )
    assert template.status_code == 201, template.text
    base_model_id = add_base_model(server)
    records = "".join(json.dumps(record) + "\n" for record in alpaca_records())
    dataset = alice.post("/api/datasets", params={"filename": "a.jsonl"}, content=records)
    assert dataset.status_code == 201, dataset.text
    dataset_id = dataset.json()["id"]
    job = create_job(alice, job_body(base_model_id, dataset_id))
    kb = create_kb(alice, embed_model)
    document = upload(alice, kb["id"], "notes.txt", b"Some notes to index.")
    assert document.status_code == 201, document.text
    app = alice.post(
        "/api/dify-apps",
        json={
            "name": "Helpdesk",
            "base_url": fake.base_url,
            "api_key": "app-k",
            "app_type": "chat",
        },
    ).json()
    dify_chat = alice.post(f"/api/dify-apps/{app['id']}/chat-sessions", json={}).json()
    api_key = alice.post("/api/api-keys", json={"name": "laptop"})
    assert api_key.status_code == 201, api_key.text
    alice_id = int(alice.get("/api/auth/me").json()["id"])
    adapter = Path(server.settings.data_dir) / "matrix-adapter"
    adapter.mkdir(exist_ok=True)
    (adapter / "adapter_config.json").write_text("{}")
    version = server.db(
        lambda session: serving.register_version(
            session,
            user_id=alice_id,
            name="alices-version",
            base_model_id=base_model_id,
            adapter_path=adapter,
            model_path=None,
            template="smollm2",
            finetuning_type="lora",
            job_id=job["id"],
        )
    )
    return {
        "kind": "account",
        "key": "alice@example.com",
        "user_id": alice_id,
        "provider_id": provider_id,
        "model_id": chat_model,
        "session_id": chat["id"],
        "dify_session_id": dify_chat["id"],
        "message_id": message_id,
        "run_id": run["id"],
        "lane_id": run["lanes"][0]["id"],
        "set_id": set_id,
        "batch_run_id": start_run(alice, set_id, [chat_model]),
        "template_id": template.json()["id"],
        "version": 1,
        "dataset_id": dataset_id,
        "base_model_id": base_model_id,
        "version_id": version.id,
        "job_id": job["id"],
        "kb_id": kb["id"],
        "doc_id": document.json()["id"],
        "app_id": app["id"],
        "key_id": api_key.json()["id"],
    }


def concrete(template: str, ids: dict[str, Any]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match[1]
        if name == "run_id" and template.startswith("/api/batch-tests/"):
            name = "batch_run_id"
        if name == "session_id" and template.startswith("/api/dify-apps/"):
            name = "dify_session_id"
        return str(ids[name])

    return re.sub(r"\{(\w+)\}", value, template)


def body_for(method: str, template: str, ids: dict[str, Any]) -> dict[str, Any]:
    """A body the route would accept from the owner, so that only ownership can refuse it."""
    if template.endswith("/documents") and method == "POST":
        return {"files": {"file": ("more.txt", b"More notes.")}}
    bodies: dict[str, Any] = {
        "/api/users/{user_id}/password": {"new_password": "a new long password"},
        "/api/providers/{provider_id}/models": {"model_id": "another-model"},
        "/api/chat/sessions/{session_id}/switch": {"message_id": ids["message_id"]},
        "/api/chat/sessions/{session_id}/messages": {"content": "Hi"},
        "/api/chat/messages/{message_id}/edit": {"content": "Edited"},
        "/api/compare/{run_id}/vote": {"winner_lane_id": ids["lane_id"]},
        "/api/batch-tests/sets/{set_id}": {"name": "mine", "rows": [{"prompt": "p"}]},
        "/api/usage/quotas/{user_id}": {"monthly_token_limit": 5},
        "/api/prompts/{template_id}/render": {"values": {"name": "x"}},
        "/api/knowledge-bases/{kb_id}/retrieve": {"query": "notes"},
    }
    if template in bodies:
        return {"json": bodies[template]}
    if method in ("PATCH", "PUT") or template.endswith(("/test", "/regenerate", "/chat-sessions")):
        return {"json": {"name": "mine"} if method == "PATCH" else {}}
    return {}


def id_routes(client: httpx.Client) -> dict[str, set[str]]:
    paths = client.get("/openapi.json").json()["paths"]
    return {path: {m.upper() for m in ops} for path, ops in paths.items() if "{" in path}


def test_a_second_user_reaches_none_of_the_first_users_resources(
    server: LiveServer,
    admin: httpx.Client,
    alice: httpx.Client,
    bob: httpx.Client,
    fake: FakeOpenAI,
) -> None:
    routes = id_routes(bob)
    assert routes == {path: set(methods) for path, methods in MATRIX.items()}, (
        "an id route is missing from MATRIX (or gone): add it with what another user gets"
    )
    ids = alice_resources(server, admin, alice, fake)
    before = alice.get(f"/api/chat/sessions/{ids['session_id']}").json()
    wrong = []
    for template, methods in MATRIX.items():
        for method, expected in methods.items():
            path = concrete(template, ids)
            answer = bob.request(method, path, **body_for(method, template, ids))
            if answer.status_code != expected:
                wrong.append((method, path, answer.status_code, answer.text[:200]))
            elif expected == NOT_FOUND:
                assert answer.json()["code"].endswith("not_found"), (method, path, answer.text)
    assert wrong == []
    # Nothing bob tried changed alice's things.
    assert [key["revoked_at"] for key in alice.get("/api/api-keys").json()] == [None]
    assert alice.get(f"/api/chat/sessions/{ids['session_id']}").json() == before
    for owned in (
        f"/api/prompts/{ids['template_id']}",
        f"/api/knowledge-bases/{ids['kb_id']}/documents/{ids['doc_id']}",
        f"/api/dify-apps/{ids['app_id']}",
        f"/api/training/jobs/{ids['job_id']}",
        f"/api/model-versions/{ids['version_id']}",
        f"/api/datasets/{ids['dataset_id']}",
        f"/api/batch-tests/sets/{ids['set_id']}",
        f"/api/compare/{ids['run_id']}",
    ):
        assert alice.get(owned).status_code == OK, owned
