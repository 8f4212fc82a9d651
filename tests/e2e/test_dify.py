"""A Dify app in the browser: register it (a fake Dify agent app), test the connection, chat
with it (thoughts shown as thinking, the conversation kept across turns, stop) and see its
status and last use in the list."""

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, screenshot
from tests.e2e.test_foundation import sign_in
from tests.fakes.dify import FakeDify

APP_KEY = "app-e2e-dify-key-9f3a"


@pytest.fixture(scope="module")
def dify() -> Iterator[FakeDify]:
    with FakeDify(api_key=APP_KEY, mode="agent-chat") as fake:
        yield fake


def send(page: Page, text: str) -> None:
    page.get_by_test_id("chat-input").locator("textarea").fill(text)
    page.get_by_test_id("chat-input").locator("textarea").press("Enter")


def last_answer(page: Page):  # type: ignore[no-untyped-def]
    return page.get_by_test_id("chat-message-assistant").last


def register_app(page: Page, dify: FakeDify) -> None:
    page.goto("/dify-apps")
    page.get_by_test_id("dify-app-add").click()
    page.get_by_test_id("dify-app-name").fill("Travel agent")
    page.get_by_test_id("dify-app-url").fill(dify.url)
    page.get_by_test_id("dify-app-key").fill(APP_KEY)
    page.get_by_test_id("dify-app-type-agent").click()
    page.get_by_test_id("dify-app-save").click()
    row = page.get_by_test_id("dify-app-table").locator("tr", has_text="Travel agent")
    expect(row).to_contain_text(dify.url + "/v1")
    status = row.get_by_test_id("dify-app-status")
    expect(status).to_have_attribute("data-status", "untested")
    expect(row.get_by_test_id("dify-app-type")).to_have_attribute("data-type", "agent")
    row.get_by_test_id("dify-app-test").click()
    expect(status).to_have_attribute("data-status", "ok")
    expect(row.get_by_test_id("dify-app-last-used")).to_have_attribute("data-used", "false")


def test_register_a_dify_app_and_chat_with_it(page: Page, app_url: str, dify: FakeDify) -> None:
    dify.reset()
    dify.behaviour.thoughts = [
        {
            "thought": "I should look up flights.",
            "tool": "flights",
            "tool_input": '{"to": "Lisbon"}',
            "observation": "3 flights found",
        }
    ]
    dify.behaviour.reply = "There are **three** flights to Lisbon tomorrow."
    dify.behaviour.token_delay = 0.03
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(page.get_by_test_id("page-home")).to_be_visible()
    register_app(page, dify)
    screenshot(page, "dify-apps")

    row = page.get_by_test_id("dify-app-table").locator("tr", has_text="Travel agent")
    row.get_by_test_id("dify-app-chat").click()
    expect(page.get_by_test_id("dify-chat-app")).to_have_text("Travel agent")
    send(page, "Flights to Lisbon?")
    expect(last_answer(page)).to_have_attribute("data-status", "complete", timeout=30_000)
    expect(last_answer(page).get_by_test_id("chat-content").locator("strong")).to_have_text("three")
    thinking = last_answer(page).get_by_test_id("chat-thinking")
    expect(thinking).to_have_attribute("data-state", "done")
    thinking.get_by_test_id("chat-thinking-toggle").click()
    expect(thinking.get_by_test_id("chat-thinking-body")).to_contain_text(
        'flights({"to": "Lisbon"})'
    )
    expect(page.get_by_test_id("dify-conversation")).to_be_visible()
    expect(last_answer(page).get_by_test_id("chat-sources")).to_have_count(0)  # agents never cite
    [conversation] = dify.conversations

    # Dify reports the passages its knowledge retrieval found for chat apps: the fake answers the
    # next turn as one, and the page names the passage by its Dify knowledge base (no link)
    dify.mode = "chat"
    dify.behaviour.thoughts = []
    dify.behaviour.reply = "The cheapest leaves at 7:05."
    send(page, "Which one is cheapest?")
    expect(last_answer(page).get_by_test_id("chat-content")).to_have_text(
        "The cheapest leaves at 7:05.", timeout=30_000
    )
    sources = last_answer(page).get_by_test_id("chat-sources")
    sources.locator("summary").click()
    expect(sources.get_by_test_id("chat-source-external")).to_have_text("holidays.md (Handbook)")
    expect(sources.get_by_test_id("chat-source")).to_contain_text("25 days of paid holiday")
    assert dify.conversations[conversation] == ["Flights to Lisbon?", "Which one is cheapest?"]
    screenshot(page, "dify-chat")

    dify.behaviour.reply = "word " * 2000  # long enough to be cut short
    send(page, "Tell me everything")
    expect(last_answer(page).get_by_test_id("chat-content")).to_contain_text("word")
    page.get_by_test_id("chat-stop").click()
    expect(last_answer(page)).to_have_attribute("data-status", "interrupted", timeout=30_000)
    deadline = time.monotonic() + 15  # the server notices the closed stream, then stops Dify
    while not dify.stops and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(dify.stops) == 1, "stopping in the browser must stop the Dify task"

    page.reload()
    expect(page.get_by_test_id("chat-message-assistant")).to_have_count(3)
    page.goto("/dify-apps")
    row = page.get_by_test_id("dify-app-table").locator("tr", has_text="Travel agent")
    expect(row.get_by_test_id("dify-app-last-used")).to_have_attribute("data-used", "true")
