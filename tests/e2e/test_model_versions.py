"""Fine-tuned models in the browser: an admin registers a base model (a bad path is refused
under its field), a real LoRA adapter of the tiny model is served, stopped and merged from
the model versions table, whose status tags follow the server live."""

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, screenshot
from tests.e2e.test_chat import admin_api
from tests.e2e.test_foundation import sign_in
from tests.llamafactory_env import tiny_model_path
from tests.serving.conftest import train_adapter

SERVE_TIMEOUT_MS = 180_000


@pytest.fixture(scope="module")
def model_root(app_url: str) -> Path:
    """The server's model root (data_dir/models), holding a copy of the tiny model and a
    real adapter trained on it."""
    with admin_api(app_url) as api:
        root = Path(api.get("/api/training/base-models/templates").json()["model_roots"][0])
    shutil.copytree(tiny_model_path(), root / "tiny-random-llama", dirs_exist_ok=True)
    if not (root / "tiny-lora" / "adapter" / "adapter_config.json").is_file():
        shutil.rmtree(root / "tiny-lora", ignore_errors=True)
        train_adapter(root / "tiny-random-llama", root / "tiny-lora", steps=2, learning_rate=1e-3)
    return root


def add_base_model(page: Page, name: str, path: str) -> None:
    page.get_by_test_id("base-model-add").click()
    dialog = page.get_by_test_id("base-model-form")
    dialog.get_by_test_id("base-model-name").fill(name)
    dialog.get_by_test_id("base-model-path").fill(path)
    dialog.get_by_test_id("base-model-template").click()
    page.keyboard.type("smollm2")
    page.get_by_role("option", name="smollm2", exact=True).click()
    page.get_by_test_id("base-model-save").click()


def test_register_a_base_model_then_serve_stop_and_export_a_version(
    page: Page, app_url: str, model_root: Path, tmp_path: Path
) -> None:
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(page.get_by_test_id("page-home")).to_be_visible()
    page.get_by_test_id("nav-models").click()
    expect(page.get_by_test_id("page-model-versions")).to_be_visible()
    page.locator("#tab-base-models").click()

    add_base_model(page, "Tiny random llama", str(tmp_path))
    form = page.get_by_test_id("base-model-form")
    expect(form).to_contain_text("outside the allowed directories")
    form.get_by_test_id("base-model-path").fill(str(model_root / "tiny-random-llama"))
    page.get_by_test_id("base-model-save").click()
    expect(form).to_be_hidden()
    table = page.get_by_test_id("base-models-table")
    expect(table).to_contain_text("Tiny random llama")
    expect(table).to_contain_text("LlamaForCausalLM")
    expect(table).to_contain_text("3.2M")

    with admin_api(app_url) as api:
        base = next(
            m for m in api.get("/api/training/base-models").json() if m["name"].startswith("Tiny")
        )
        created = api.post(
            "/api/model-versions",
            json={
                "name": "tiny-numbers",
                "base_model_id": base["id"],
                "adapter_path": str(model_root / "tiny-lora" / "adapter"),
            },
        )
        assert created.status_code == 201, created.text
        version_id = created.json()["id"]

    page.locator("#tab-versions").click()
    page.get_by_test_id("model-versions-reload").click()
    status = page.get_by_test_id(f"version-status-{version_id}")
    expect(status).to_have_attribute("data-status", "stopped")
    page.get_by_test_id(f"version-serve-{version_id}").click()
    expect(status).to_have_attribute("data-status", "serving", timeout=SERVE_TIMEOUT_MS)
    screenshot(page, "model-versions-serving")

    page.get_by_test_id(f"version-stop-{version_id}").click()
    expect(status).to_have_attribute("data-status", "stopped")
    exported = page.get_by_test_id(f"version-export-{version_id}")
    page.get_by_test_id(f"version-export-button-{version_id}").click()
    expect(exported).to_have_attribute("data-status", "succeeded", timeout=SERVE_TIMEOUT_MS)
    with admin_api(app_url) as api:
        export_dir = Path(api.get(f"/api/model-versions/{version_id}").json()["export_dir"])
    assert (export_dir / "config.json").is_file()
    screenshot(page, "model-versions-exported")
