"""The Datasets page in the browser: a bad file shows its validation report with line numbers;
a good one shows statistics, the token histogram, lint and a paged preview; delete."""

import json
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, screenshot
from tests.e2e.test_foundation import sign_in


def write_jsonl(path: Path, records: list[object]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return path


def test_upload_report_stats_preview_and_delete(page: Page, tmp_path: Path) -> None:
    bad = write_jsonl(
        tmp_path / "bad.jsonl",
        [
            {"instruction": "fine", "output": "ok"},
            {"instruction": "no answer"},
            {"instruction": 5, "output": "x"},
        ],
    )
    good_rows: list[object] = [
        {"instruction": f"Question number {n}", "output": f"Answer number {n}"} for n in range(24)
    ]
    good_rows += [good_rows[0], {"instruction": "Empty", "output": ""}]
    good = write_jsonl(tmp_path / "e2e-good.jsonl", good_rows)

    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.get_by_test_id("nav-datasets").click()
    expect(page.get_by_test_id("page-datasets")).to_be_visible()

    upload = page.get_by_test_id("dataset-upload").locator("input[type=file]")
    upload.set_input_files(str(bad))
    report = page.get_by_test_id("dataset-report")
    expect(report).to_contain_text("2 record(s) are not valid (line 2, 3).")
    errors = page.get_by_test_id("dataset-report-errors")
    expect(errors.locator("tbody tr")).to_have_count(2)
    expect(errors.locator("tbody tr").nth(0)).to_contain_text("'output' is missing.")
    expect(errors.locator("tbody tr").nth(1)).to_contain_text("'instruction' must be a string")
    screenshot(page, "datasets-validation-report")

    page.get_by_test_id("dataset-split").locator("input").fill("10")
    upload.set_input_files(str(good))
    detail = page.get_by_test_id("dataset-detail")
    expect(detail).to_be_visible()
    expect(report).to_be_hidden()
    expect(page.get_by_test_id("dataset-progress")).to_have_attribute("aria-valuenow", "100")
    expect(detail).to_contain_text("e2e-good v1")
    expect(page.get_by_test_id("dataset-stats")).to_contain_text("23 / 3 (10%, seed 42)")
    expect(detail.locator(".base-chart canvas")).to_be_visible()
    lint = page.get_by_test_id("dataset-lint")
    expect(lint.locator("tbody tr").nth(1)).to_contain_text("1")
    expect(lint.locator("tbody tr").nth(1)).to_contain_text("26")
    expect(lint.locator("tbody tr").nth(2)).to_contain_text("25")

    preview = page.get_by_test_id("dataset-preview")
    expect(preview.locator("tbody tr")).to_have_count(10)
    expect(preview.locator("tbody tr").first).to_contain_text("Question number 0")
    page.get_by_test_id("dataset-preview-pages").get_by_text("3", exact=True).click()
    expect(preview.locator("tbody tr")).to_have_count(6)
    expect(preview.locator("tbody tr").first).to_contain_text("Question number 20")

    cutoff = page.get_by_test_id("dataset-cutoff").locator("input")
    cutoff.fill("3")
    cutoff.press("Enter")
    expect(lint.locator("tbody tr").nth(0)).to_contain_text("25")
    screenshot(page, "datasets-stats-preview")

    rows = page.get_by_test_id("dataset-list").locator("tbody tr")
    expect(rows).to_have_count(1)
    rows.first.locator("[data-testid^=dataset-delete-]").click()
    page.locator(".el-message-box__btns .el-button--primary").click()
    expect(rows).to_have_count(0)
    expect(detail).to_be_hidden()
