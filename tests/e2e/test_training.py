"""Training in the browser on the tiny model and the real LLaMA-Factory: the wizard with its
YAML preview starts a job, the job page's curve and log grow live, the report opens."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, ROOT, screenshot
from tests.e2e.test_foundation import sign_in
from tests.training.server import Server, seed


@pytest.fixture
def training_server(tmp_path: Path) -> Iterator[Server]:
    if not (ROOT / "web" / "dist" / "index.html").exists():
        raise RuntimeError("web/dist is missing: run `make web` (make test-e2e does) first")
    server = Server(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def training_page(browser: Browser, training_server: Server) -> Iterator[Page]:
    context = browser.new_context(
        base_url=training_server.url, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


def field(page: Page, test_id: str, tag: str = "input") -> Locator:
    """An Element Plus input: the test id sits on the element itself or on its wrapper."""
    return page.locator(f"{tag}[data-testid={test_id}], [data-testid={test_id}] {tag}").first


def points_shown(page: Page) -> int:
    return int(page.get_by_test_id("job-points").inner_text())


def test_start_a_job_watch_it_live_and_open_the_report(
    training_page: Page, training_server: Server
) -> None:
    page = training_page
    ids = seed(training_server)
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(page.get_by_test_id("page-home")).to_be_visible()
    page.get_by_test_id("nav-training").click()
    expect(page.get_by_test_id("page-training")).to_be_visible()
    page.get_by_test_id("training-new").click()
    expect(page.get_by_test_id("page-training-new")).to_be_visible()

    field(page, "wizard-name").fill("browser-lora")
    page.get_by_test_id("wizard-base-model").click()
    page.get_by_test_id(f"wizard-base-model-option-{ids['base_model_id']}").click()
    page.get_by_test_id("wizard-dataset").click()
    page.get_by_test_id(f"wizard-dataset-option-{ids['dataset_id']}").click()
    page.get_by_test_id("wizard-next").click()
    page.get_by_test_id("wizard-preset-quick-test").click()
    field(page, "wizard-max-steps").fill("24")
    page.get_by_test_id("wizard-next").click()
    yaml = page.get_by_test_id("wizard-yaml")
    expect(yaml).to_contain_text("max_steps: 24")
    expect(yaml).to_contain_text("template: smollm2")
    screenshot(page, "training-wizard-yaml")
    page.get_by_test_id("wizard-advanced").click()
    editor = field(page, "wizard-yaml-editor", "textarea")
    editor.fill(editor.input_value() + "output_dir: /tmp/elsewhere\n")
    page.get_by_test_id("wizard-check").click()
    expect(page.get_by_test_id("wizard-problem")).to_contain_text("output_dir")
    editor.fill(editor.input_value().replace("output_dir: /tmp/elsewhere\n", ""))
    page.get_by_test_id("wizard-check").click()
    expect(page.get_by_test_id("wizard-problem")).to_have_count(0)
    page.get_by_test_id("wizard-submit").click()

    expect(page.get_by_test_id("page-training-job")).to_be_visible()
    status = page.get_by_test_id("job-status")
    expect(status).to_have_attribute("data-status", "running", timeout=120_000)
    console = page.get_by_test_id("log-console")
    expect(console).to_contain_text("llamafactory-cli train", timeout=30_000)
    points = page.get_by_test_id("job-points")
    expect(points).not_to_have_text("0", timeout=120_000)  # the first point arrived live
    early = points_shown(page)
    screenshot(page, "training-job-live")
    expect(status).to_have_attribute("data-status", "succeeded", timeout=180_000)
    expect(points).to_have_text("24")
    assert early >= 1  # points were on the page while the job still ran
    expect(page.get_by_test_id("job-step")).to_have_text("24 / 24")
    field(page, "log-search").fill("succeeded (exit status 0)")
    expect(console.locator(".log-console__line")).to_have_count(1)
    screenshot(page, "training-job-done")

    page.get_by_test_id("job-report").click()
    expect(page.get_by_test_id("page-training-report")).to_be_visible()
    expect(page.get_by_test_id("report-final-loss")).to_have_text(re.compile(r"^\d+\.\d{4}$"))
    expect(page.get_by_test_id("report-artifacts")).to_contain_text("adapter_model.safetensors")
    with page.expect_download() as download:
        page.get_by_test_id("report-export").click()
    assert download.value.suggested_filename.endswith("-report.md")
    screenshot(page, "training-report")
