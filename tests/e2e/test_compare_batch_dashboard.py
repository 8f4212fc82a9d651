"""Comparison, batch tests and the dashboard in the browser, against fake providers."""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


def chat_bodies(fake: FakeOpenAI) -> list[Any]:
    return [r.body for r in fake.requests if r.path.endswith("/chat/completions")]


def fill_number(page: Page, test_id: str, value: str) -> None:
    field = page.get_by_test_id(test_id).locator("input")
    field.fill(value)
    field.press("Tab")


def test_compare_with_lane_parameters_a_template_and_history_page_two(
    page: Page, app_url: str, three_fakes: list[FakeOpenAI]
) -> None:
    first, second = connect_all(app_url, three_fakes)[:2]
    with admin_api(app_url) as api:
        template = api.post(
            "/api/prompts",
            json={
                "name": "Lane tone",
                "body": "Explain {{topic}} in one line.",
                "variables": [{"name": "topic", "required": True}],
            },
        )
        assert template.status_code == 201, template.text
        lanes = [{"model_id": first}, {"model_id": second}]
        for index in range(21):  # more than one history page of 20
            old = api.post("/api/compare", json={"prompt": f"Old run {index}", "lanes": lanes})
            assert old.status_code == 200 and "event: done" in old.text
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(page.get_by_test_id("page-home")).to_be_visible()
    page.get_by_test_id("nav-compare").click()
    page.get_by_test_id("compare-models").click()
    for model_id in (first, second):
        page.get_by_test_id(f"compare-model-option-{model_id}").click()
    page.keyboard.press("Escape")
    page.get_by_test_id("compare-params-toggle").click()
    fill_number(page, f"compare-param-temperature-{first}", "0.3")
    fill_number(page, f"compare-param-max_tokens-{second}", "99")
    page.get_by_test_id("compare-template").click()
    page.get_by_test_id(f"template-item-{template.json()['id']}").click()
    page.get_by_test_id("template-var-topic").locator("textarea").fill("tides")
    page.get_by_test_id("template-apply-system").click()
    expect(page.get_by_test_id("compare-system")).to_have_value("Explain tides in one line.")
    page.get_by_test_id("compare-prompt").fill("Per-lane question")
    page.get_by_test_id("compare-run").click()
    for index in range(2):
        expect(page.get_by_test_id(f"compare-lane-{index}")).to_have_attribute(
            "data-status", "complete", timeout=30_000
        )
    screenshot(page, "compare-lane-parameters-light")
    sent = [chat_bodies(fake)[-1] for fake in three_fakes[:2]]
    system = {"role": "system", "content": "Explain tides in one line."}
    assert all(body["messages"][0] == system for body in sent)
    assert sent[0]["messages"][-1] == {"role": "user", "content": "Per-lane question"}
    assert sent[0]["temperature"] == 0.3 and "max_tokens" not in sent[0]
    assert sent[1].get("max_tokens", sent[1].get("max_completion_tokens")) == 99
    assert "temperature" not in sent[1]

    page.get_by_test_id("compare-history-open").click()
    history = page.get_by_test_id("compare-history")
    expect(history).to_contain_text("Per-lane question")
    page.get_by_test_id("compare-history-pagination").locator(".el-pager li").nth(1).click()
    oldest = history.locator("[data-testid^=compare-history-]").filter(has_text="Old run 0")
    expect(oldest).to_have_count(1)
    expect(history).not_to_contain_text("Per-lane question")
    oldest.locator("button").first.click()
    expect(page.get_by_test_id("compare-prompt")).to_have_value("Old run 0")
    expect(page.get_by_test_id("compare-system")).to_have_value("")


def test_build_a_test_set_in_the_page_and_run_it_with_a_judge(
    page: Page, app_url: str, three_fakes: list[FakeOpenAI]
) -> None:
    model_id = connect_all(app_url, three_fakes)[0]
    with FakeOpenAI(api_key="sk-judge") as judge_fake:
        judge_fake.behaviour.models = ["judge-model"]
        judge_fake.behaviour.reply = '{"score": 4, "reason": "Close enough to the reference."}'
        with admin_api(app_url) as api:
            judge = connect(api, "Judge", judge_fake.base_url, "sk-judge", "judge-model")
        sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
        expect(page.get_by_test_id("page-home")).to_be_visible()
        page.get_by_test_id("nav-batch").click()
        page.get_by_test_id("batch-set-build").click()
        page.get_by_test_id("batch-editor-name").fill("page-built")
        page.get_by_test_id("batch-editor-prompt-1").fill("Say answer")
        page.get_by_test_id("batch-editor-reference-1").fill("Answer")
        for _ in range(2):
            page.get_by_test_id("batch-editor-add").click()
        page.get_by_test_id("batch-editor-prompt-2").fill("Say number")
        page.get_by_test_id("batch-editor-tags-2").fill("numbers; short")
        page.get_by_test_id("batch-editor-save").click()
        problems = page.get_by_test_id("batch-editor-problems")
        expect(problems).to_contain_text("prompt is empty")
        expect(problems.locator("tbody")).to_contain_text("3")
        page.get_by_test_id("batch-editor-remove-3").click()
        page.get_by_test_id("batch-editor-save").click()
        expect(page.get_by_test_id("batch-set-editor")).to_be_hidden()
        built = page.get_by_test_id("batch-set-page-built")
        expect(built).to_contain_text("2")
        built.get_by_test_id("batch-set-edit").click()
        expect(page.get_by_test_id("batch-editor-prompt-2")).to_have_value("Say number")
        expect(page.get_by_test_id("batch-editor-tags-2")).to_have_value("numbers; short")
        page.get_by_test_id("batch-editor-add").click()
        page.get_by_test_id("batch-editor-prompt-3").fill("Say hi")
        page.get_by_test_id("batch-editor-save").click()
        expect(page.get_by_test_id("batch-set-editor")).to_be_hidden()
        expect(built).to_contain_text("3")

        page.get_by_test_id("batch-run-new").click()
        page.get_by_test_id("batch-run-models").click()
        page.get_by_test_id(f"batch-run-model-option-{model_id}").click()
        page.keyboard.press("Escape")
        page.get_by_test_id("batch-scorer-add").click()
        page.get_by_test_id("batch-scorer-type").click()
        page.get_by_test_id("batch-scorer-type-judge").click()
        page.get_by_test_id("batch-scorer-judge").click()
        page.get_by_test_id(f"batch-scorer-judge-option-{judge}").click()
        page.get_by_test_id("batch-scorer-rubric").fill("Does it match the reference?")
        page.get_by_test_id("batch-run-submit").click()
        detail = page.get_by_test_id("batch-run-detail")
        expect(detail.get_by_test_id("batch-cell-reason")).to_have_count(3, timeout=60_000)
        expect(detail.get_by_test_id("batch-cell-reason").first).to_have_text(
            "Close enough to the reference."
        )
        expect(detail.get_by_test_id("batch-cell-score-judge").first).to_contain_text("4")
        expect(page.get_by_test_id("batch-results")).to_contain_text("Say number")
        expect(page.get_by_test_id("batch-run-form")).to_be_hidden()
        page.get_by_test_id("batch-results").scroll_into_view_if_needed()
        screenshot(page, "batch-judge-reasons-light")
    asked = sorted(body["messages"][-1]["content"] for body in chat_bodies(three_fakes[0])[-3:])
    assert asked == ["Say answer", "Say hi", "Say number"]


def test_dashboard_charts_render(page: Page) -> None:
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(page.get_by_test_id("page-home")).to_be_visible()
    page.get_by_test_id("nav-admin-dashboard").click()
    expect(page.get_by_test_id("page-admin-dashboard")).to_be_visible()
    for chart in ("dashboard-chart-tokens", "dashboard-chart-cost"):
        expect(page.get_by_test_id(chart).locator("canvas")).to_have_count(1, timeout=15_000)
    expect(page.get_by_test_id("dashboard-stats")).to_contain_text(re.compile(r"\d"))
    screenshot(page, "admin-dashboard-light")
