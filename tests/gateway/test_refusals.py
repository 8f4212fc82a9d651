"""Keys, models, limits and malformed requests the gateway refuses, in OpenAI's error shape."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import openai
import pytest
from sqlalchemy import update

from llmforge.api_keys.models import ApiKey
from tests.conftest import LiveServer
from tests.fakes.openai import FakeOpenAI
from tests.gateway.conftest import CHAT, EMBED, KeyMaker, usage_rows

SDK = Callable[[str], openai.OpenAI]
HI: list[Any] = [{"role": "user", "content": "Hi"}]


def test_missing_wrong_revoked_and_expired_keys_and_a_deactivated_owner(
    server: LiveServer, admin: httpx.Client, alice: httpx.Client, make_key: KeyMaker, sdk: SDK
) -> None:
    missing = httpx.get(f"{server.url}/v1/models")
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "missing_api_key"
    assert set(missing.json()["error"]) == {"message", "type", "param", "code"}

    with pytest.raises(openai.AuthenticationError) as wrong:
        sdk("lf-not-a-real-key").models.list()
    assert wrong.value.code == "invalid_api_key"

    revoked = make_key()
    assert alice.post(f"/api/api-keys/{revoked['id']}/revoke").status_code == 200
    with pytest.raises(openai.AuthenticationError) as refused:
        sdk(revoked["secret"]).chat.completions.create(model=CHAT, messages=HI)
    assert refused.value.code == "api_key_revoked"

    expired = make_key(expires_at=(datetime.now(UTC) + timedelta(hours=1)).isoformat())
    assert len(sdk(expired["secret"]).models.list().data) == 2
    past = datetime.now(UTC) - timedelta(seconds=1)
    server.db(
        lambda session: session.execute(
            update(ApiKey).where(ApiKey.id == expired["id"]).values(expires_at=past)
        )
    )
    with pytest.raises(openai.AuthenticationError) as too_late:
        sdk(expired["secret"]).models.list()
    assert too_late.value.code == "api_key_expired"

    valid = sdk(make_key()["secret"])
    alice_id = alice.get("/api/auth/me").json()["id"]
    assert admin.patch(f"/api/users/{alice_id}", json={"is_active": False}).is_success
    with pytest.raises(openai.AuthenticationError) as inactive:
        valid.models.list()
    assert inactive.value.code == "user_inactive"


def test_the_allowlist_and_unknown_models(make_key: KeyMaker, sdk: SDK, fake: FakeOpenAI) -> None:
    gpt = sdk(make_key(model_allowlist=[EMBED])["secret"])
    assert [m.id for m in gpt.models.list().data] == [EMBED]
    with pytest.raises(openai.PermissionDeniedError) as denied:
        gpt.chat.completions.create(model=CHAT, messages=HI)
    assert denied.value.code == "model_not_allowed"
    with pytest.raises(openai.NotFoundError) as unknown:
        gpt.chat.completions.create(model="gpt-9", messages=HI)
    assert unknown.value.code == "model_not_found" and "gpt-9" in unknown.value.message
    assert isinstance(unknown.value.body, dict) and unknown.value.body["param"] == "model"
    assert not [r for r in fake.requests if r.path.endswith("/chat/completions")]


def test_the_rate_limit_counts_every_request_of_the_key(make_key: KeyMaker, sdk: SDK) -> None:
    limited = sdk(make_key(rate_limit_per_minute=2)["secret"])
    other = sdk(make_key()["secret"])
    limited.models.list()
    limited.chat.completions.create(model=CHAT, messages=HI)
    with pytest.raises(openai.RateLimitError) as hit:
        limited.models.list()
    assert hit.value.code == "rate_limit_exceeded"
    assert 1 <= int(hit.value.response.headers["retry-after"]) <= 60
    assert other.models.list().data  # another key has its own allowance


def test_an_exhausted_quota_is_refused_before_the_upstream(
    admin: httpx.Client, alice: httpx.Client, gpt: openai.OpenAI, fake: FakeOpenAI
) -> None:
    alice_id = alice.get("/api/auth/me").json()["id"]
    assert admin.put(f"/api/usage/quotas/{alice_id}", json={"monthly_token_limit": 10}).is_success
    gpt.chat.completions.create(model=CHAT, messages=HI)  # 18 tokens, under the budget at start
    usage_rows(alice, 1)
    calls = len(fake.requests)
    with pytest.raises(openai.RateLimitError) as refused:
        gpt.chat.completions.create(model=CHAT, messages=HI, stream=True)
    assert refused.value.code == "insufficient_quota"
    assert (
        isinstance(refused.value.body, dict) and refused.value.body["type"] == "insufficient_quota"
    )
    assert "10" in refused.value.message
    assert len(fake.requests) == calls


MALFORMED: list[tuple[dict[str, Any], str]] = [
    ({"n": 2}, "n"),
    ({"tools": [{"type": "function", "function": {"name": "f"}}]}, "tools"),
    ({"logprobs": True}, "logprobs"),
    ({"temperature": 5}, "temperature"),
    ({"messages": []}, "messages"),
    ({"messages": [{"role": "tool", "content": "x", "tool_call_id": "1"}]}, "messages[0].role"),
    (
        {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]},
        "messages[0].content",
    ),
    ({"stop": 3}, "stop"),
]


def test_malformed_chat_requests_name_the_parameter(
    server: LiveServer, make_key: KeyMaker, fake: FakeOpenAI
) -> None:
    headers = {"Authorization": f"Bearer {make_key()['secret']}"}
    with httpx.Client(base_url=f"{server.url}/v1", headers=headers) as http:
        for extra, param in MALFORMED:
            response = http.post("/chat/completions", json={"model": CHAT, "messages": HI, **extra})
            assert response.status_code == 400, response.text
            error = response.json()["error"]
            assert error["type"] == "invalid_request_error" and error["message"]
            assert error["param"].startswith(param), (extra, error)
    assert not [r for r in fake.requests if r.path.endswith("/chat/completions")]


def test_malformed_bodies_embeddings_and_routes(server: LiveServer, make_key: KeyMaker) -> None:
    headers = {"Authorization": f"Bearer {make_key()['secret']}"}
    with httpx.Client(base_url=f"{server.url}/v1", headers=headers) as http:
        not_json = http.post(
            "/chat/completions", content=b"{nope", headers={"content-type": "application/json"}
        )
        assert not_json.status_code == 400 and "JSON" in not_json.json()["error"]["message"]
        for body, code in (
            ({"model": CHAT, "input": "x"}, "model_not_embedding"),
            ({"model": EMBED, "input": [1, 2]}, "unsupported_value"),
            ({"model": EMBED, "input": []}, "invalid_value"),
            ({"model": EMBED, "input": "x", "dimensions": 4}, "unsupported_value"),
        ):
            refused = http.post("/embeddings", json=body)
            assert (refused.status_code, refused.json()["error"]["code"]) == (400, code), body
        unknown = http.post("/completions", json={"model": CHAT, "prompt": "Hi"})
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_url"
