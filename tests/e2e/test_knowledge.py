"""Knowledge in the browser: create a knowledge base on the real local MiniLM embeddings, upload
two documents and watch them become ready, run a retrieval test, then ask in chat and see the
cited sources, whose link opens the document in its knowledge base."""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, screenshot
from tests.e2e.test_chat import admin_api, connect, send, start_chat
from tests.e2e.test_foundation import sign_in
from tests.fakes.openai import FakeOpenAI
from tests.knowledge.conftest import make_docx
from tests.knowledge.embeddings_server import MINILM, serve_minilm

FAKE_KEY = "sk-e2e-knowledge"
HANDBOOK = b"""# Office handbook

## Backups

The servers are backed up every night at 2 am and copies are kept for 90 days.

## Parking

The garage under building B has 120 spaces.
"""
POLICY = make_docx(
    [("Travel policy", 1), ("Book economy class for flights shorter than six hours.", 0)]
)


@pytest.fixture(scope="module")
def minilm_url() -> Iterator[str]:
    with serve_minilm() as url:
        yield url


@pytest.fixture(scope="module")
def chat_fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=FAKE_KEY) as fake:
        yield fake


def test_knowledge_base_upload_retrieve_and_chat_with_sources(
    page: Page, app_url: str, minilm_url: str, chat_fake: FakeOpenAI
) -> None:
    with admin_api(app_url) as api:
        connect(api, "Local MiniLM", minilm_url, "local", MINILM, capabilities=["embedding"])
        chat_id = connect(api, "Knowledge chat fake", chat_fake.base_url, FAKE_KEY, "fake-chat")
    chat_fake.behaviour.reply = "Backups run every night at 2 am [1]."
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(page.get_by_test_id("page-home")).to_be_visible()

    page.goto("/knowledge")
    page.get_by_test_id("kb-new").click()
    page.get_by_test_id("kb-name").fill("Office handbook")
    page.get_by_test_id("kb-model").click()
    page.get_by_role("option", name=MINILM).click()
    page.get_by_test_id("kb-create").click()
    expect(page).to_have_url(re.compile(r"/knowledge/\d+$"))
    kb_id = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_test_id("page-knowledge-base")).to_be_visible()

    page.get_by_test_id("kb-upload").locator("input[type=file]").set_input_files(
        [
            {"name": "handbook.md", "mimeType": "text/markdown", "buffer": HANDBOOK},
            {
                "name": "travel.docx",
                "mimeType": "application/vnd.openxmlformats-officedocument."
                "wordprocessingml.document",
                "buffer": POLICY,
            },
        ]
    )
    statuses = page.locator("[data-testid=kb-document-status][data-status=ready]")
    expect(statuses).to_have_count(2, timeout=60_000)
    expect(page.get_by_test_id("kb-document-name")).to_have_count(2)

    page.get_by_test_id("kb-query").fill("When are the servers backed up?")
    page.get_by_test_id("kb-search").click()
    first_hit = page.get_by_test_id("kb-hit").first
    expect(first_hit).to_contain_text("handbook.md")
    expect(first_hit).to_contain_text("backed up every night")
    screenshot(page, "knowledge-base")

    start_chat(page, chat_id)
    page.get_by_test_id("chat-knowledge").click()
    page.get_by_test_id(f"chat-knowledge-option-{kb_id}").click()
    page.keyboard.press("Escape")
    send(page, "How often are backups made?")
    answer = page.get_by_test_id("chat-message-assistant").last
    expect(answer.get_by_test_id("chat-content")).to_contain_text("every night at 2 am [1]")
    sources = answer.get_by_test_id("chat-sources")
    sources.locator("summary").click()
    first_source = sources.get_by_test_id("chat-source").first
    expect(first_source).to_contain_text("[1]")
    expect(first_source).to_contain_text("handbook.md")
    expect(first_source).to_contain_text("backed up every night")
    system = chat_fake.requests[-1].body["messages"][0]
    assert system["role"] == "system" and "[1] handbook.md" in system["content"]
    screenshot(page, "chat-with-sources")

    first_source.get_by_test_id("chat-source-link").click()
    expect(page).to_have_url(re.compile(rf"/knowledge/{kb_id}\?document=\d+"))
    expect(page.locator(".kb__highlight")).to_contain_text("handbook.md")
