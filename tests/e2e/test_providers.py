"""An admin connects providers from the browser: a fake OpenAI-compatible service and the real
SmolLM2 server; models are synced, tested, tuned and hidden from plain users."""

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.conftest import SMOLLM2_API_KEY, SMOLLM2_MODEL_NAME
from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, screenshot
from tests.e2e.test_foundation import fill, sign_in
from tests.fakes.openai import FakeOpenAI

FAKE_KEY = "sk-e2e-fake-provider-key"


@pytest.fixture(scope="module")
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=FAKE_KEY) as fake:
        fake.behaviour.models = ["fake-chat", "fake-secret"]
        yield fake


def add_provider(page: Page, name: str, base_url: str, api_key: str) -> None:
    page.get_by_test_id("providers-add").click()
    page.get_by_test_id("provider-form-preset").click()
    page.get_by_role("option", name=re.compile("OpenAI-compatible server")).click()
    fill(page, "provider-form-name", name)
    fill(page, "provider-form-base-url", base_url)
    fill(page, "provider-form-api-key", api_key)
    page.get_by_test_id("provider-form-submit").click()
    expect(page.get_by_test_id(f"provider-{name}")).to_be_visible()


def refresh_and_test(page: Page, name: str, model_id: str) -> None:
    card = page.get_by_test_id(f"provider-{name}")
    card.click()
    card.get_by_test_id("provider-refresh").click()
    expect(card.get_by_test_id("refresh-summary")).to_contain_text(model_id)
    card.get_by_test_id("provider-test").click()
    expect(card.get_by_test_id("test-result")).to_contain_text("ok", timeout=60_000)
    expect(page.get_by_test_id("models-table")).to_contain_text(model_id)


def model_row(page: Page, model_id: str):  # type: ignore[no-untyped-def]
    return page.locator("tr", has=page.get_by_test_id(f"model-{model_id}"))


def test_admin_connects_fake_and_real_providers(
    page: Page, app_url: str, fake_openai: FakeOpenAI, smollm2_api: str
) -> None:
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.get_by_test_id("nav-admin-providers").click()
    expect(page.get_by_test_id("page-admin-providers")).to_be_visible()

    add_provider(page, "Fake OpenAI", fake_openai.base_url, FAKE_KEY)
    expect(page.get_by_test_id("provider-Fake OpenAI")).not_to_contain_text(FAKE_KEY)
    refresh_and_test(page, "Fake OpenAI", "fake-chat")

    chat_row = model_row(page, "fake-chat")
    chat_row.get_by_test_id("model-enabled").click()
    expect(chat_row.get_by_test_id("model-enabled")).to_have_class(re.compile("is-checked"))
    chat_row.get_by_test_id("model-edit").click()
    page.get_by_test_id("model-form-temperature").locator("input").fill("0.3")
    page.get_by_test_id("model-form-max-tokens").locator("input").fill("256")
    page.get_by_test_id("model-form-submit").click()
    expect(page.get_by_test_id("model-dialog")).to_be_hidden()

    secret_row = model_row(page, "fake-secret")
    secret_row.get_by_test_id("model-enabled").click()
    secret_row.get_by_test_id("model-edit").click()
    page.get_by_test_id("model-form-visibility-restricted").click()
    page.get_by_test_id("model-form-role-admin").click()
    page.get_by_test_id("model-form-submit").click()
    expect(page.get_by_test_id("model-dialog")).to_be_hidden()
    screenshot(page, "admin-providers-light")

    add_provider(page, "Local SmolLM2", smollm2_api, SMOLLM2_API_KEY)
    refresh_and_test(page, "Local SmolLM2", SMOLLM2_MODEL_NAME)

    with httpx.Client(base_url=app_url) as api:
        token = api.post(
            "/api/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        ).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        mine = "Fake OpenAI"  # other browser tests share this server and add providers too
        models = {
            m["model_id"]: m
            for m in api.get("/api/models", headers=headers).json()
            if m["provider_name"] == mine
        }
        assert models["fake-chat"]["parameters"] == {"temperature": 0.3, "max_tokens": 256}
        assert "fake-secret" in models  # visible to admins
        api.post(
            "/api/auth/register", json={"email": "plain@example.com", "password": "plain password"}
        )
        user = api.post(
            "/api/auth/login", json={"email": "plain@example.com", "password": "plain password"}
        ).json()
        visible = api.get(
            "/api/models", headers={"Authorization": f"Bearer {user['access_token']}"}
        ).json()
        assert [m["model_id"] for m in visible if m["provider_name"] == mine] == ["fake-chat"]
