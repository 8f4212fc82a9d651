"""The prompt library in the browser: write a template with variables, preview it, save two
versions, compare and restore, then use it in a chat."""

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, screenshot
from tests.e2e.test_chat import FAKE_KEY, admin_api, connect, slow_fake, start_chat
from tests.e2e.test_foundation import fill, sign_in
from tests.fakes.openai import FakeOpenAI

__all__ = ["slow_fake"]


def test_write_preview_version_restore_and_use_a_template(
    page: Page, app_url: str, slow_fake: FakeOpenAI
) -> None:
    slow_fake.reset()
    slow_fake.behaviour.reply = "Translated."
    with admin_api(app_url) as api:
        model_id = connect(api, "Slow fake", slow_fake.base_url, FAKE_KEY, "fake-chat")
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(page.get_by_test_id("page-home")).to_be_visible()
    page.get_by_test_id("nav-prompts").click()
    expect(page.get_by_test_id("page-prompts")).to_be_visible()

    page.get_by_test_id("prompts-new").click()
    fill(page, "prompt-form-name", "Translator")
    page.get_by_test_id("prompt-form-body").locator("textarea").fill(
        "Translate into {{language}}: {{text}}"
    )
    page.get_by_test_id("prompt-detect-variables").click()
    expect(page.get_by_test_id("prompt-variable-language")).to_be_visible()
    expect(page.get_by_test_id("prompt-variable-text")).to_be_visible()
    page.get_by_test_id("prompt-preview-value-language").locator("input").fill("French")
    page.get_by_test_id("prompt-preview-value-text").locator("input").fill("{{language}} hello")
    expect(page.get_by_test_id("prompt-preview-text")).to_have_text(
        "Translate into French: {{language}} hello"  # values are never expanded again
    )
    page.get_by_test_id("prompt-form-save").click()
    expect(page.get_by_test_id("prompt-current-version")).to_contain_text("1")

    page.get_by_test_id("prompt-form-body").locator("textarea").fill(
        "Please translate into {{language}}: {{text}}"
    )
    page.get_by_test_id("prompt-form-save").click()
    expect(page.get_by_test_id("prompt-current-version")).to_contain_text("2")
    page.get_by_test_id("prompt-tab-history").click()
    expect(page.get_by_test_id("prompt-version-1")).to_be_visible()
    page.get_by_test_id("prompt-version-1").get_by_test_id("prompt-restore").click()
    page.locator(".el-message-box .el-button--primary").click()
    expect(page.get_by_test_id("prompt-current-version")).to_contain_text("3")
    screenshot(page, "prompt-editor-light")

    start_chat(page, model_id)
    page.get_by_test_id("chat-template").click()
    page.get_by_test_id("template-search").locator("input").fill("Translator")
    page.locator("[data-testid^=template-item-]").first.click()
    page.get_by_test_id("template-var-language").locator("textarea").fill("German")
    page.get_by_test_id("template-var-text").locator("textarea").fill("good morning")
    page.get_by_test_id("template-apply-message").click()
    composer = page.get_by_test_id("chat-input").locator("textarea")
    expect(composer).to_have_value("Translate into German: good morning")
    composer.press("Enter")
    answer = page.get_by_test_id("chat-message-assistant").last
    expect(answer).to_have_attribute("data-status", "complete", timeout=30_000)
    assert slow_fake.requests[-1].body["messages"][-1]["content"] == (
        "Translate into German: good morning"
    )
    expect(page.get_by_test_id("chat-message-user").last).to_contain_text(re.compile("German"))
