"""API keys in the browser: create one, see its secret once, use it against /v1 with a plain
HTTP client, revoke it in the page and see the gateway refuse it."""

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, screenshot
from tests.e2e.test_foundation import sign_in


def test_create_use_and_revoke_an_api_key(page: Page, app_url: str) -> None:
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(page.get_by_test_id("page-home")).to_be_visible()
    page.get_by_test_id("nav-apiKeys").click()
    expect(page.get_by_test_id("api-key-base-url")).to_have_text(f"{app_url}/v1")

    page.get_by_test_id("api-key-add").click()
    page.get_by_test_id("api-key-name").fill("Notebook")
    page.get_by_test_id("api-key-save").click()
    created = page.get_by_test_id("api-key-created")
    expect(created).to_contain_text(f'base_url="{app_url}/v1"')
    secret = page.get_by_test_id("api-key-secret").input_value()
    assert secret.startswith("lf-")
    screenshot(page, "api-key-created")
    page.get_by_test_id("api-key-done").click()
    expect(created).to_be_hidden()
    row = page.get_by_test_id("api-key-table").locator("tr", has_text="Notebook")
    expect(row).to_contain_text(secret[:10])
    expect(row.get_by_test_id("api-key-state")).to_have_attribute("data-state", "active")
    expect(row.get_by_test_id("api-key-state")).to_be_visible()
    expect(page.get_by_test_id("api-key-table")).not_to_contain_text(secret)  # shown once only

    headers = {"Authorization": f"Bearer {secret}"}
    listed = httpx.get(f"{app_url}/v1/models", headers=headers)
    assert listed.status_code == 200 and listed.json()["object"] == "list"

    page.reload()
    expect(row.get_by_test_id("api-key-last-used")).to_have_attribute("data-used", "true")
    row.get_by_test_id("api-key-revoke").click()
    page.locator(".el-message-box__btns .el-button--primary").click()
    expect(row.get_by_test_id("api-key-state")).to_have_attribute("data-state", "revoked")
    screenshot(page, "api-keys")
    refused = httpx.get(f"{app_url}/v1/models", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "api_key_revoked"
