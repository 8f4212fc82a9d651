"""Comparison, batch tests and the dashboard in the browser, against fake providers."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, screenshot
from tests.e2e.test_chat import admin_api, connect
from tests.e2e.test_foundation import sign_in
from tests.fakes.openai import FakeOpenAI


@pytest.fixture(scope="module")
def three_fakes() -> Iterator[list[FakeOpenAI]]:
    fakes = [FakeOpenAI(api_key=f"sk-lane-{index}").start() for index in range(3)]
    for index, fake in enumerate(fakes):
        fake.behaviour.models = [f"lane-model-{index}"]
        fake.behaviour.reply = f"Answer number {index} with **markdown**."
        fake.behaviour.token_delay = 0.01 * (index + 1)
    yield fakes
    for fake in fakes:
        fake.stop()


def connect_all(app_url: str, fakes: list[FakeOpenAI]) -> list[int]:
    with admin_api(app_url) as api:
        return [
            connect(api, f"Lane {index}", fake.base_url, f"sk-lane-{index}", f"lane-model-{index}")
            for index, fake in enumerate(fakes)
        ]


def test_compare_three_models_vote_and_reopen(
    page: Page, app_url: str, three_fakes: list[FakeOpenAI]
) -> None:
    model_ids = connect_all(app_url, three_fakes)
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(page.get_by_test_id("page-home")).to_be_visible()
    page.get_by_test_id("nav-compare").click()
    expect(page.get_by_test_id("page-compare")).to_be_visible()
    page.get_by_test_id("compare-models").click()
    for model_id in model_ids:
        page.get_by_test_id(f"compare-model-option-{model_id}").click()
    page.keyboard.press("Escape")
    page.get_by_test_id("compare-prompt").fill("Which answer is best?")
    page.get_by_test_id("compare-run").click()
    for index in range(3):
        lane = page.get_by_test_id(f"compare-lane-{index}")
        expect(lane).to_have_attribute("data-status", "complete", timeout=30_000)
        expect(lane.get_by_test_id("lane-content").locator("strong")).to_have_text("markdown")
        expect(lane.get_by_test_id("lane-metrics")).to_be_visible()
    page.get_by_test_id("compare-lane-1").get_by_test_id("lane-winner").click()
    expect(page.get_by_test_id("compare-lane-1").get_by_test_id("lane-winner-tag")).to_be_visible()
    screenshot(page, "compare-light")

    page.reload()
    page.get_by_test_id("compare-history-open").click()
    page.locator("[data-testid^=compare-history-]").filter(has_text="Which answer").first.click()
    expect(page.get_by_test_id("compare-lane-0")).to_have_attribute("data-status", "complete")
    expect(page.get_by_test_id("compare-lanes")).to_contain_text("Answer number")


def test_batch_upload_run_progress_matrix_and_export(
    page: Page, app_url: str, three_fakes: list[FakeOpenAI], tmp_path: Path
) -> None:
    model_ids = connect_all(app_url, three_fakes)
    upload = tmp_path / "questions.csv"
    upload.write_text("prompt,reference\nSay answer,Answer\nSay number,number\nSay hi,hi\n")
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(page.get_by_test_id("page-home")).to_be_visible()
    page.get_by_test_id("nav-batch").click()
    expect(page.get_by_test_id("page-batch")).to_be_visible()
    page.get_by_test_id("batch-upload").locator("input[type=file]").set_input_files(str(upload))
    expect(page.get_by_test_id("batch-set-questions")).to_be_visible()

    page.get_by_test_id("batch-run-new").click()
    page.get_by_test_id("batch-run-models").click()
    for model_id in model_ids[:2]:
        page.get_by_test_id(f"batch-run-model-option-{model_id}").click()
    page.keyboard.press("Escape")
    page.get_by_test_id("batch-run-submit").click()
    run = (
        page.locator("[data-testid^=batch-run-]")
        .filter(has=page.get_by_test_id("batch-run-progress"))
        .first
    )
    expect(run).to_have_attribute("data-status", "completed", timeout=60_000)
    run.get_by_test_id("batch-run-open").click()
    expect(page.get_by_test_id("batch-summary")).to_contain_text("lane-model-0")
    expect(page.get_by_test_id("batch-results")).to_contain_text("Say number")
    with page.expect_download() as download:
        page.get_by_test_id("batch-export-csv").click()
    assert "Say answer" in Path(download.value.path()).read_text()


def test_dashboard_charts_render(page: Page) -> None:
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(page.get_by_test_id("page-home")).to_be_visible()
    page.get_by_test_id("nav-admin-dashboard").click()
    expect(page.get_by_test_id("page-admin-dashboard")).to_be_visible()
    for chart in ("dashboard-chart-tokens", "dashboard-chart-cost"):
        expect(page.get_by_test_id(chart).locator("canvas")).to_have_count(1, timeout=15_000)
    expect(page.get_by_test_id("dashboard-stats")).to_contain_text(re.compile(r"\d"))
    screenshot(page, "admin-dashboard-light")
