"""A conversation in the browser: slow streaming with thinking, markdown and code, stop,
regenerate and variants; model output that tries to run script stays inert; and a real model."""

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from playwright.sync_api import Dialog, Page, expect

from tests.conftest import SMOLLM2_API_KEY, SMOLLM2_MODEL_NAME
from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, screenshot
from tests.e2e.test_foundation import sign_in
from tests.fakes.openai import FakeOpenAI

FAKE_KEY = "sk-e2e-chat"
REPLY = "Here is **bold** text and code:\n\n```python\nprint('hello')\n```\n\nDone."
XSS = (
    "Look: <img src=x onerror=alert(1)> <script>alert(2)</script> "
    '[click me](javascript:alert(3)) <a href="javascript:alert(4)">link</a>'
)


@pytest.fixture(scope="module")
def slow_fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=FAKE_KEY) as fake:
        yield fake


@contextmanager
def admin_api(app_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=app_url, timeout=120) as client:
        token = client.post(
            "/api/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        yield client


def connect(
    api: httpx.Client, name: str, base_url: str, key: str, model: str, **fields: object
) -> int:
    """Add (or point at this run's upstream) a provider, sync it and enable `model`. The browser
    tests share one server, so a provider left by another module is updated, not duplicated."""
    existing = {p["name"]: p["id"] for p in api.get("/api/providers").json()}
    settings = {"base_url": base_url, "api_key": key, "timeout_seconds": 120}
    if name in existing:
        provider_id = existing[name]
        api.patch(f"/api/providers/{provider_id}", json=settings).raise_for_status()
    else:
        created = api.post(
            "/api/providers", json={"name": name, "preset": "openai-compatible", **settings}
        )
        provider_id = created.json()["id"]
    api.post(f"/api/providers/{provider_id}/refresh-models").raise_for_status()
    models = api.get(f"/api/providers/{provider_id}/models").json()
    row = next(m for m in models if m["model_id"] == model)
    api.patch(f"/api/models/{row['id']}", json={"enabled": True, **fields}).raise_for_status()
    return int(row["id"])


def start_chat(page: Page, model_id: int) -> None:
    page.goto("/chat")
    expect(page.get_by_test_id("page-chat")).to_be_visible()
    page.get_by_test_id("chat-new").click()
    page.get_by_test_id("chat-model").click()
    page.get_by_test_id(f"chat-model-option-{model_id}").click()


def send(page: Page, text: str) -> None:
    page.get_by_test_id("chat-input").locator("textarea").fill(text)
    page.get_by_test_id("chat-input").locator("textarea").press("Enter")


def last_answer(page: Page):  # type: ignore[no-untyped-def]
    return page.get_by_test_id("chat-message-assistant").last


def test_conversation_with_thinking_markdown_stop_regenerate_and_variants(
    page: Page, app_url: str, slow_fake: FakeOpenAI
) -> None:
    slow_fake.reset()
    slow_fake.behaviour.reasoning = "Let me think this through carefully first."
    slow_fake.behaviour.reply = REPLY
    slow_fake.behaviour.token_delay = 0.05
    with admin_api(app_url) as api:
        model_id = connect(api, "Slow fake", slow_fake.base_url, FAKE_KEY, "fake-chat")
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(page.get_by_test_id("page-home")).to_be_visible()
    start_chat(page, model_id)

    send(page, "Show me some code")
    thinking = last_answer(page).get_by_test_id("chat-thinking")
    expect(thinking).to_have_attribute("data-state", "thinking")  # streams live
    expect(last_answer(page)).to_have_attribute("data-status", "complete", timeout=30_000)
    expect(thinking).to_have_attribute("data-state", "done")
    content = last_answer(page).get_by_test_id("chat-content")
    expect(content.locator("strong")).to_have_text("bold")
    expect(content.locator("pre code")).to_contain_text("print('hello')")
    expect(content.get_by_test_id("code-copy")).to_be_visible()
    expect(last_answer(page).get_by_test_id("message-meta")).to_be_visible()
    screenshot(page, "chat-light")

    slow_fake.behaviour.reasoning = ""
    slow_fake.behaviour.reply = "word " * 300
    send(page, "Now talk for a long time")
    expect(page.get_by_test_id("chat-stop")).to_be_visible()
    expect(last_answer(page).get_by_test_id("chat-content")).to_contain_text("word")
    page.get_by_test_id("chat-stop").click()
    expect(last_answer(page)).to_have_attribute("data-status", "interrupted", timeout=15_000)
    assert slow_fake.wait_for_disconnect(timeout=10)

    slow_fake.behaviour.reply = "A second, different answer."
    slow_fake.behaviour.token_delay = 0.01
    last_answer(page).hover()
    last_answer(page).get_by_test_id("message-regenerate").click()
    expect(last_answer(page)).to_have_attribute("data-status", "complete", timeout=30_000)
    expect(last_answer(page).get_by_test_id("variant-label")).to_have_text("2/2")
    expect(last_answer(page).get_by_test_id("chat-content")).to_contain_text("second, different")
    last_answer(page).get_by_test_id("variant-prev").click()
    expect(last_answer(page).get_by_test_id("variant-label")).to_have_text("1/2")
    expect(last_answer(page)).to_have_attribute("data-status", "interrupted")


def test_model_output_cannot_run_script(page: Page, app_url: str, slow_fake: FakeOpenAI) -> None:
    slow_fake.reset()
    slow_fake.behaviour.reply = XSS
    with admin_api(app_url) as api:
        model_id = connect(api, "Slow fake", slow_fake.base_url, FAKE_KEY, "fake-chat")
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    page.add_init_script("window.__xss = []; window.alert = (m) => window.__xss.push(m);")
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(page.get_by_test_id("page-home")).to_be_visible()
    start_chat(page, model_id)
    send(page, "Say something dangerous")
    content = last_answer(page).get_by_test_id("chat-content")
    expect(last_answer(page)).to_have_attribute("data-status", "complete", timeout=30_000)
    expect(content).to_contain_text("Look:")
    page.reload()  # the stored answer is rendered the same safe way
    expect(last_answer(page).get_by_test_id("chat-content")).to_contain_text("Look:")
    content = last_answer(page).get_by_test_id("chat-content")
    assert content.locator("script").count() == 0
    assert content.locator("[onerror]").count() == 0
    hrefs = content.locator("a").evaluate_all(
        "links => links.map(a => a.getAttribute('href') || '')"
    )
    assert not any(href.strip().lower().startswith("javascript:") for href in hrefs), hrefs
    page.wait_for_timeout(300)
    assert dialogs == [] and page.evaluate("window.__xss") == []


def test_chat_with_the_real_smollm2_model(page: Page, app_url: str, smollm2_api: str) -> None:
    with admin_api(app_url) as api:
        model_id = connect(
            api,
            "SmolLM2 for chat",
            smollm2_api,
            SMOLLM2_API_KEY,
            SMOLLM2_MODEL_NAME,
            parameters={"temperature": 0, "max_tokens": 24},
        )
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(page.get_by_test_id("page-home")).to_be_visible()
    start_chat(page, model_id)
    send(page, "What is the capital of France?")
    expect(last_answer(page)).to_have_attribute("data-status", "complete", timeout=90_000)
    expect(last_answer(page).get_by_test_id("chat-content")).to_contain_text(re.compile("Paris"))
    screenshot(page, "chat-smollm2")
