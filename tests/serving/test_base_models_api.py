"""Base models: admins register local model directories inside the model roots; everyone
lists them; bad paths and templates are refused with nothing written."""

from pathlib import Path

import httpx

from tests.conftest import LiveServer
from tests.llamafactory_env import smollm2_path, tiny_model_path
from tests.serving.conftest import create_base_model


def test_admin_registers_a_model_and_its_facts_are_read(
    admin: httpx.Client, alice: httpx.Client, roots: Path
) -> None:
    created = create_base_model(admin, "SmolLM2-135M", smollm2_path())
    assert created["path"] == str(smollm2_path().resolve())
    assert created["architecture"] == "LlamaForCausalLM"
    assert 134_000_000 < created["parameter_count"] < 135_000_000
    assert created["size_bytes"] > 500_000_000

    listed = alice.get("/api/training/base-models")
    assert listed.status_code == 200
    assert [row["name"] for row in listed.json()] == ["SmolLM2-135M"]
    assert alice.get(f"/api/training/base-models/{created['id']}").json() == created
    audit = admin.get("/api/audit", params={"action": "base_model.create"}).json()
    assert audit["items"][0]["detail"]["path"] == created["path"]


def test_templates_come_from_the_installed_llamafactory(alice: httpx.Client, roots: Path) -> None:
    body = alice.get("/api/training/base-models/templates").json()
    assert {"smollm2", "llama3", "qwen3"} <= set(body["templates"])
    assert str(roots.resolve()) in body["model_roots"]


def test_only_admins_manage_base_models(alice: httpx.Client, roots: Path) -> None:
    body = {"name": "tiny", "path": str(tiny_model_path()), "template": "smollm2"}
    refused = alice.post("/api/training/base-models", json=body)
    assert refused.status_code == 403
    assert refused.json()["code"] == "admin_required"


def test_bad_paths_and_templates_are_refused_and_nothing_is_written(
    admin: httpx.Client, roots: Path, tmp_path: Path, adapters_root: Path
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "config.json").write_text("{}")
    cases = {
        "path_outside_roots": str(outside),
        "path_traversal": f"{roots}/SmolLM2-135M-Instruct/../../../etc",
        "path_not_absolute": "models/SmolLM2-135M-Instruct",
        "not_a_directory": str(roots / "no-such-model"),
        "not_a_model_directory": str(adapters_root),
    }
    for code, path in cases.items():
        answer = admin.post(
            "/api/training/base-models",
            json={"name": f"bad-{code}", "path": path, "template": "smollm2"},
        )
        assert answer.status_code == 422, (code, answer.text)
        assert answer.json()["code"] == code, (code, answer.json())
    unknown = admin.post(
        "/api/training/base-models",
        json={"name": "bad-template", "path": str(smollm2_path()), "template": "nope"},
    )
    assert unknown.status_code == 422
    assert unknown.json()["code"] == "unknown_template"
    assert "nope" in unknown.json()["message"]
    assert admin.get("/api/training/base-models").json() == []


def test_a_symlink_out_of_the_roots_is_refused(
    server: LiveServer, admin: httpx.Client, roots: Path, tmp_path: Path, adapters_root: Path
) -> None:
    target = tmp_path / "secret-model"
    target.mkdir()
    (target / "config.json").write_text("{}")
    link = adapters_root / "sneaky"
    link.unlink(missing_ok=True)
    link.symlink_to(target)
    answer = admin.post(
        "/api/training/base-models",
        json={"name": "sneaky", "path": str(link), "template": "smollm2"},
    )
    assert answer.status_code == 422
    assert answer.json()["code"] == "path_outside_roots"


def test_update_rename_and_delete(admin: httpx.Client, roots: Path) -> None:
    created = create_base_model(admin, "tiny", tiny_model_path())
    other = create_base_model(admin, "smol", smollm2_path())
    url = f"/api/training/base-models/{created['id']}"

    clash = admin.patch(url, json={"name": "SMOL"})
    assert clash.status_code == 409
    assert clash.json()["code"] == "base_model_name_taken"
    moved = admin.patch(url, json={"path": other["path"], "description": "now smol"}).json()
    assert moved["parameter_count"] == other["parameter_count"]
    assert moved["description"] == "now smol"
    audit = admin.get("/api/audit", params={"action": "base_model.update"}).json()
    assert set(audit["items"][0]["detail"]) == {"path", "description"}

    assert admin.delete(url).status_code == 204
    assert admin.get(url).json()["code"] == "base_model_not_found"
