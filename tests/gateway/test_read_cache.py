"""The gateway keeps a key's look-ups in its read cache, so every change made in the pages must
reach a key that was just used (and so is cached) on its very next call."""

from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest

from tests.fakes.openai import FakeOpenAI
from tests.gateway.conftest import CHAT, EMBED, KeyMaker

SDK = Callable[[str], openai.OpenAI]
HI: list[Any] = [{"role": "user", "content": "Hi"}]


@pytest.fixture
def used(make_key: KeyMaker, sdk: SDK) -> tuple[dict[str, Any], openai.OpenAI]:
    """A key of alice's that has just listed the models and made a call: all of it cached."""
    key = make_key()
    gpt = sdk(key["secret"])
    assert {m.id for m in gpt.models.list().data} == {CHAT, EMBED}
    gpt.chat.completions.create(model=CHAT, messages=HI)
    return key, gpt


def test_revoking_and_deactivating_stop_a_cached_key_at_once(
    used: tuple[dict[str, Any], openai.OpenAI],
    admin: httpx.Client,
    alice: httpx.Client,
    make_key: KeyMaker,
    sdk: SDK,
) -> None:
    key, gpt = used
    assert alice.post(f"/api/api-keys/{key['id']}/revoke").status_code == 200
    with pytest.raises(openai.AuthenticationError) as revoked:
        gpt.models.list()
    assert revoked.value.code == "api_key_revoked"

    other = sdk(make_key()["secret"])
    other.chat.completions.create(model=CHAT, messages=HI)
    alice_id = alice.get("/api/auth/me").json()["id"]
    assert admin.patch(f"/api/users/{alice_id}", json={"is_active": False}).is_success
    with pytest.raises(openai.AuthenticationError) as inactive:
        other.chat.completions.create(model=CHAT, messages=HI)
    assert inactive.value.code == "user_inactive"


def test_a_disabled_or_hidden_model_leaves_the_cached_catalogue_at_once(
    used: tuple[dict[str, Any], openai.OpenAI], admin: httpx.Client, chat_model: int
) -> None:
    _, gpt = used
    assert admin.patch(f"/api/models/{chat_model}", json={"enabled": False}).is_success
    assert [m.id for m in gpt.models.list().data] == [EMBED]
    with pytest.raises(openai.NotFoundError):
        gpt.chat.completions.create(model=CHAT, messages=HI)

    hidden = {"enabled": True, "visibility": "restricted", "allowed_roles": ["admin"]}
    assert admin.patch(f"/api/models/{chat_model}", json=hidden).is_success
    assert [m.id for m in gpt.models.list().data] == [EMBED]


def test_a_new_budget_applies_to_the_next_call(
    used: tuple[dict[str, Any], openai.OpenAI], admin: httpx.Client, alice: httpx.Client
) -> None:
    _, gpt = used
    alice_id = alice.get("/api/auth/me").json()["id"]
    assert admin.put(f"/api/usage/quotas/{alice_id}", json={"monthly_token_limit": 1}).is_success
    with pytest.raises(openai.RateLimitError) as refused:
        gpt.chat.completions.create(model=CHAT, messages=HI)
    assert refused.value.code == "insufficient_quota"


def test_a_changed_provider_key_is_used_by_the_next_call(
    used: tuple[dict[str, Any], openai.OpenAI],
    admin: httpx.Client,
    fake: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, gpt = used
    provider = next(p for p in admin.get("/api/providers").json() if p["name"] in CHAT)
    monkeypatch.setattr(fake, "api_key", "sk-rotated")
    rotated = admin.patch(f"/api/providers/{provider['id']}", json={"api_key": "sk-rotated"})
    assert rotated.is_success
    answer = gpt.chat.completions.create(model=CHAT, messages=HI)
    assert answer.choices[0].message.content


def test_a_cached_key_still_records_its_last_use(
    used: tuple[dict[str, Any], openai.OpenAI], alice: httpx.Client
) -> None:
    key, _ = used
    listed = next(k for k in alice.get("/api/api-keys").json() if k["id"] == key["id"])
    assert listed["last_used_at"] is not None
