"""Model versions without a running server: the training jobs' registration contract, an
admin's manual registration from an adapter directory, ownership and refusals."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from llmforge.core.errors import InvalidInput, NotFound
from llmforge.serving import service
from llmforge.serving.models import ModelVersion, ServeStatus
from tests.conftest import USER_PASSWORD, LiveServer, login
from tests.llamafactory_env import smollm2_path
from tests.serving.conftest import create_base_model, wait_for


@pytest.fixture
def bob(server: LiveServer) -> Iterator[httpx.Client]:
    server.create_user("bob@example.com")
    with login(server, "bob@example.com", USER_PASSWORD) as http:
        yield http


@pytest.fixture
def fake_adapter(adapters_root: Path) -> Path:
    """Looks like an adapter directory (these tests never load it)."""
    path = adapters_root / "looks-like-an-adapter"
    path.mkdir(exist_ok=True)
    (path / "adapter_config.json").write_text("{}")
    return path


@pytest.fixture
def base_model(admin: httpx.Client, roots: Path) -> dict[str, Any]:
    return create_base_model(admin, "smol", smollm2_path())


def register(server: LiveServer, user_id: int, name: str, base_model_id: int, adapter: Path) -> Any:
    async def work(session: Any) -> Any:
        return await service.register_version(
            session,
            user_id=user_id,
            name=name,
            base_model_id=base_model_id,
            adapter_path=adapter,
            model_path=None,
            template="smollm2",
            finetuning_type="lora",
            job_id=7,
        )

    return server.db(work)


def user_id(client: httpx.Client) -> int:
    return int(client.get("/api/auth/me").json()["id"])


def test_jobs_register_versions_with_safe_unique_names(
    server: LiveServer,
    alice: httpx.Client,
    admin: httpx.Client,
    base_model: dict[str, Any],
    fake_adapter: Path,
) -> None:
    first = register(server, user_id(alice), "my tuned/model", base_model["id"], fake_adapter)
    second = register(server, user_id(alice), "my tuned/model", base_model["id"], fake_adapter)
    assert (first.name, second.name) == ("my-tuned-model", "my-tuned-model-2")

    page = alice.get("/api/model-versions").json()
    assert page["total"] == 2
    newest = page["items"][0]
    assert newest["name"] == "my-tuned-model-2"
    assert newest["job_id"] == 7 and newest["adapter_path"] == str(fake_adapter)
    assert (newest["status"], newest["export_status"]) == ("stopped", "none")
    assert "api_key_encrypted" not in newest
    assert admin.get("/api/model-versions").json()["total"] == 2


def test_another_users_version_is_not_found(
    server: LiveServer,
    alice: httpx.Client,
    bob: httpx.Client,
    base_model: dict[str, Any],
    fake_adapter: Path,
) -> None:
    version = register(server, user_id(alice), "alices", base_model["id"], fake_adapter)
    url = f"/api/model-versions/{version.id}"
    assert bob.get("/api/model-versions").json()["total"] == 0
    for method, path in [
        ("GET", url),
        ("POST", f"{url}/serve"),
        ("POST", f"{url}/stop"),
        ("POST", f"{url}/export"),
        ("DELETE", url),
    ]:
        answer = bob.request(method, path)
        assert answer.status_code == 404, (method, path)
        assert answer.json()["code"] == "version_not_found"
    assert alice.get(url).json()["status"] == "stopped"


def test_registration_needs_weights_and_an_existing_base_model(
    server: LiveServer, alice: httpx.Client, base_model: dict[str, Any], fake_adapter: Path
) -> None:
    with pytest.raises(NotFound, match="Base model 999999 does not exist"):
        register(server, user_id(alice), "x", 999_999, fake_adapter)
    owner = user_id(alice)

    async def without_weights(session: Any) -> Any:
        return await service.register_version(
            session,
            user_id=owner,
            name="x",
            base_model_id=base_model["id"],
            adapter_path=None,
            model_path=None,
            template="smollm2",
            finetuning_type="lora",
            job_id=None,
        )

    with pytest.raises(InvalidInput, match="adapter directory or a model directory"):
        server.db(without_weights)
    assert alice.get("/api/model-versions").json()["total"] == 0


def test_admin_registers_an_adapter_directory(
    admin: httpx.Client, alice: httpx.Client, base_model: dict[str, Any], fake_adapter: Path
) -> None:
    body = {
        "name": "manual-1",
        "base_model_id": base_model["id"],
        "adapter_path": str(fake_adapter),
    }
    assert alice.post("/api/model-versions", json=body).status_code == 403
    created = admin.post("/api/model-versions", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["template"] == "smollm2"  # the base model's
    assert created.json()["finetuning_type"] == "lora"
    again = admin.post("/api/model-versions", json=body)
    assert again.status_code == 409
    assert again.json()["code"] == "version_name_taken"
    audit = admin.get("/api/audit", params={"action": "model_version.create"}).json()
    assert audit["items"][0]["target_id"] == str(created.json()["id"])


def test_manual_registration_refuses_bad_input(
    admin: httpx.Client, base_model: dict[str, Any], fake_adapter: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "adapter"
    outside.mkdir()
    (outside / "adapter_config.json").write_text("{}")
    base = {"name": "bad", "base_model_id": base_model["id"]}
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"adapter_path": str(outside)}, 422, "path_outside_roots"),
        ({"adapter_path": f"{fake_adapter}/../../x"}, 422, "path_traversal"),
        ({"adapter_path": str(fake_adapter.parent)}, 422, "not_an_adapter_directory"),
        ({"adapter_path": str(fake_adapter), "template": "nope"}, 422, "unknown_template"),
        ({}, 422, "version_without_weights"),
        (
            {"adapter_path": str(fake_adapter), "base_model_id": 999_999},
            404,
            "base_model_not_found",
        ),
        ({"adapter_path": str(fake_adapter), "name": "has space"}, 422, "validation_error"),
    ]
    for extra, status, code in cases:
        answer = admin.post("/api/model-versions", json=base | extra)
        assert answer.status_code == status, (extra, answer.text)
        assert answer.json()["code"] == code, (extra, answer.json())
    assert admin.get("/api/model-versions").json()["total"] == 0


def test_state_conflicts_and_delete(
    admin: httpx.Client, base_model: dict[str, Any], fake_adapter: Path, roots: Path
) -> None:
    full = admin.post(
        "/api/model-versions",
        json={
            "name": "full-1",
            "base_model_id": base_model["id"],
            "model_path": str(smollm2_path()),
        },
    ).json()
    assert full["finetuning_type"] == "full" and full["adapter_path"] is None
    url = f"/api/model-versions/{full['id']}"
    stop = admin.post(f"{url}/stop")
    assert (stop.status_code, stop.json()["code"]) == (409, "not_serving")
    export = admin.post(f"{url}/export")
    assert (export.status_code, export.json()["code"]) == (409, "nothing_to_merge")

    in_use = admin.delete(f"/api/training/base-models/{base_model['id']}")
    assert (in_use.status_code, in_use.json()["code"]) == (409, "base_model_in_use")
    assert admin.delete(url).status_code == 204
    assert admin.get(url).status_code == 404
    assert admin.delete(f"/api/training/base-models/{base_model['id']}").status_code == 204


def test_a_missing_llamafactory_cli_ends_serve_and_export_in_clear_errors(
    server: LiveServer, admin: httpx.Client, base_model: dict[str, Any], fake_adapter: Path
) -> None:
    version = register(server, user_id(admin), "no-cli", base_model["id"], fake_adapter)
    settings = server.settings
    settings.llamafactory_cli, settings.serving_max_restarts = "/no/such/llamafactory-cli", 0
    try:
        served = admin.post(f"/api/model-versions/{version.id}/serve")
        assert served.status_code == 202
        failed = wait_for(admin, version.id, lambda v: v["status"] == "error", timeout=30)
        assert "Could not start /no/such/llamafactory-cli" in failed["last_error"]
        assert admin.post(f"/api/model-versions/{version.id}/export").status_code == 202
        export = wait_for(admin, version.id, lambda v: v["export_status"] == "failed", timeout=30)
        assert "Could not start" in export["export_error"]
    finally:
        settings.serving_max_restarts = 3
    assert admin.post(f"/api/model-versions/{version.id}/stop").json()["status"] == "stopped"


def test_the_number_of_served_versions_is_limited(
    server: LiveServer, admin: httpx.Client, base_model: dict[str, Any], fake_adapter: Path
) -> None:
    first = register(server, user_id(admin), "first", base_model["id"], fake_adapter)
    second = register(server, user_id(admin), "second", base_model["id"], fake_adapter)

    async def mark_serving(session: Any) -> None:
        version = await session.get(ModelVersion, first.id)
        version.status = ServeStatus.serving

    server.db(mark_serving)
    server.settings.serving_max_servers = 1
    try:
        refused = admin.post(f"/api/model-versions/{second.id}/serve")
    finally:
        server.settings.serving_max_servers = 2
    assert (refused.status_code, refused.json()["code"]) == (409, "too_many_served")
    assert "the limit is 1" in refused.json()["message"]
    assert admin.get(f"/api/model-versions/{second.id}").json()["status"] == "stopped"
