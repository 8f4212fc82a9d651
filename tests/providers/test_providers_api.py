import logging
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from llmforge.providers.models import Provider
from tests.conftest import LiveServer
from tests.fakes.anthropic import FakeAnthropic
from tests.fakes.openai import FakeOpenAI

PLANTED_KEY = "sk-planted-4f9c2e7d1b3a5c6e8f0a"


@pytest.fixture(scope="module")
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=PLANTED_KEY) as fake:
        yield fake


@pytest.fixture(autouse=True)
def _fresh_fake(fake_openai: FakeOpenAI) -> None:
    fake_openai.reset()


def create(admin: httpx.Client, fake: FakeOpenAI, **extra: object) -> dict[str, object]:
    body = {
        "name": "Fake OpenAI",
        "preset": "openai-compatible",
        "base_url": fake.base_url,
        "api_key": PLANTED_KEY,
        **extra,
    }
    response = admin.post("/api/providers", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_presets_cover_the_common_providers(admin: httpx.Client) -> None:
    presets = {preset["id"]: preset for preset in admin.get("/api/providers/presets").json()}
    assert len(presets) >= 15
    for expected in (
        "openai",
        "azure-openai",
        "anthropic",
        "gemini",
        "deepseek",
        "dashscope",
        "zhipu",
        "moonshot",
        "siliconflow",
        "ollama",
        "openrouter",
        "openai-compatible",
    ):
        assert expected in presets
    assert presets["anthropic"]["protocol"] == "anthropic"
    assert presets["deepseek"]["base_url"].startswith("https://")


def test_key_is_encrypted_masked_and_never_returned(
    server: LiveServer, admin: httpx.Client, fake_openai: FakeOpenAI
) -> None:
    created = create(admin, fake_openai, extra_headers={"X-Team": "secret-team-header"})
    assert created["api_key_hint"] == "sk-…5c6e8f0a"[:3] + "…" + PLANTED_KEY[-4:]
    assert created["has_api_key"] is True and created["extra_header_names"] == ["X-Team"]
    for response in (admin.get("/api/providers"), admin.get(f"/api/providers/{created['id']}")):
        assert PLANTED_KEY not in response.text and "secret-team-header" not in response.text
    stored = server.db(lambda s: s.scalar(select(Provider).where(Provider.id == created["id"])))
    assert PLANTED_KEY not in stored.api_key_encrypted
    assert "secret-team-header" not in (stored.extra_headers_encrypted or "")
    audit = admin.get("/api/audit", params={"action": "provider.create"}).text
    assert PLANTED_KEY not in audit and '"api_key":"set"' in audit.replace(" ", "")


def test_refresh_merges_without_deleting(admin: httpx.Client, fake_openai: FakeOpenAI) -> None:
    provider = create(admin, fake_openai)
    fake_openai.behaviour.models = ["alpha", "beta"]
    first = admin.post(f"/api/providers/{provider['id']}/refresh-models").json()
    assert first == {
        "added": ["alpha", "beta"],
        "restored": [],
        "unavailable": [],
        "unchanged": 0,
        "total": 2,
    }
    models = admin.get(f"/api/providers/{provider['id']}/models").json()
    assert [(m["model_id"], m["enabled"], m["available"]) for m in models] == [
        ("alpha", False, True),
        ("beta", False, True),
    ]

    fake_openai.behaviour.models = ["beta", "gamma"]
    second = admin.post(f"/api/providers/{provider['id']}/refresh-models").json()
    assert second["added"] == ["gamma"] and second["unavailable"] == ["alpha"]
    assert second["unchanged"] == 1 and second["total"] == 3
    fake_openai.behaviour.models = ["alpha", "beta", "gamma"]
    third = admin.post(f"/api/providers/{provider['id']}/refresh-models").json()
    assert third["restored"] == ["alpha"]
    assert admin.get(f"/api/providers/{provider['id']}").json()["last_refreshed_at"]


def test_connection_test_outcomes(
    admin: httpx.Client, fake_openai: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    provider = create(admin, fake_openai)
    ok = admin.post(f"/api/providers/{provider['id']}/test", json={"model": "fake-chat"}).json()
    assert ok["outcome"] == "ok" and ok["latency_ms"] >= 0

    missing = admin.post(f"/api/providers/{provider['id']}/test", json={"model": "nope"}).json()
    assert missing["outcome"] == "model_not_found" and "nope" in missing["message"]

    admin.patch(f"/api/providers/{provider['id']}", json={"api_key": PLANTED_KEY + "-wrong"})
    wrong = admin.post(f"/api/providers/{provider['id']}/test", json={}).json()
    assert wrong["outcome"] == "authentication_failed"
    assert "Incorrect API key" in wrong["message"] and PLANTED_KEY not in wrong["message"]
    stored = admin.get(f"/api/providers/{provider['id']}").json()["last_test"]
    assert stored["outcome"] == "authentication_failed"

    fake_openai.behaviour.fail_status = 429
    limited = admin.post(f"/api/providers/{provider['id']}/test", json={}).json()
    assert limited["outcome"] in ("rate_limited", "authentication_failed")
    assert PLANTED_KEY not in caplog.text


def test_unreachable_and_garbage_upstreams(admin: httpx.Client, fake_openai: FakeOpenAI) -> None:
    dead = create(admin, fake_openai, name="Dead", base_url="http://127.0.0.1:9/v1")
    report = admin.post(f"/api/providers/{dead['id']}/test", json={}).json()
    assert report["outcome"] == "unreachable"
    refresh = admin.post(f"/api/providers/{dead['id']}/refresh-models")
    assert refresh.status_code == 502 and refresh.json()["code"] == "upstream_unreachable"
    assert admin.get(f"/api/providers/{dead['id']}/models").json() == []

    live = create(admin, fake_openai)
    fake_openai.behaviour.garbage = True
    garbage = admin.post(f"/api/providers/{live['id']}/refresh-models")
    assert garbage.status_code == 502 and garbage.json()["code"] == "upstream_bad_response"
    assert admin.get(f"/api/providers/{live['id']}/models").json() == []


def test_bad_input_saves_nothing(admin: httpx.Client, fake_openai: FakeOpenAI) -> None:
    create(admin, fake_openai)
    cases = [
        (
            {"name": "x", "preset": "openai", "base_url": "ftp://example.com"},
            422,
            "validation_error",
        ),
        ({"name": "x", "preset": "openai", "base_url": "not a url"}, 422, "validation_error"),
        ({"name": "x", "preset": "no-such-preset"}, 422, "unknown_preset"),
        ({"name": "x", "preset": "azure-openai"}, 422, "base_url_required"),
        ({"name": "fake openai", "preset": "openai"}, 409, "provider_name_taken"),
        (
            {"name": "x", "preset": "openai", "extra_headers": {"Bad Header": "v"}},
            422,
            "validation_error",
        ),
        ({"name": "x", "preset": "openai", "timeout_seconds": 0}, 422, "validation_error"),
    ]
    for body, status, code in cases:
        response = admin.post("/api/providers", json=body)
        assert (response.status_code, response.json()["code"]) == (status, code), body
    assert len(admin.get("/api/providers").json()) == 1
    assert admin.get("/api/providers/999").status_code == 404


def test_model_settings_and_visibility(
    server: LiveServer, admin: httpx.Client, alice: httpx.Client, fake_openai: FakeOpenAI
) -> None:
    provider = create(admin, fake_openai)
    admin.post(f"/api/providers/{provider['id']}/refresh-models")
    models = {m["model_id"]: m for m in admin.get(f"/api/providers/{provider['id']}/models").json()}
    assert alice.get("/api/models").json() == []  # synced models start disabled

    chat = models["fake-chat"]["id"]
    updated = admin.patch(
        f"/api/models/{chat}",
        json={
            "enabled": True,
            "display_name": "Fake Chat",
            "context_length": 8192,
            "input_price_per_mtok": "0.5",
            "output_price_per_mtok": 1.5,
            "parameters": {"temperature": 0.3, "max_tokens": 512, "stop": ["END"]},
        },
    )
    assert updated.status_code == 200, updated.text
    visible = alice.get("/api/models").json()
    assert [(m["display_name"], m["provider_name"]) for m in visible] == [
        ("Fake Chat", "Fake OpenAI")
    ]
    assert visible[0]["parameters"] == {"temperature": 0.3, "max_tokens": 512, "stop": ["END"]}
    assert float(visible[0]["input_price_per_mtok"]) == 0.5

    hidden = admin.patch(
        f"/api/models/{chat}", json={"visibility": "restricted", "allowed_roles": ["admin"]}
    )
    assert hidden.json()["visibility"] == "restricted"
    assert alice.get("/api/models").json() == []
    assert [m["model_id"] for m in admin.get("/api/models").json()] == ["fake-chat"]
    alice_id = alice.get("/api/auth/me").json()["id"]
    admin.patch(f"/api/models/{chat}", json={"allowed_user_ids": [alice_id]})
    assert len(alice.get("/api/models").json()) == 1

    admin.patch(f"/api/providers/{provider['id']}", json={"enabled": False})
    assert alice.get("/api/models").json() == []

    bad = admin.patch(f"/api/models/{chat}", json={"parameters": {"temperature": 5}})
    assert bad.status_code == 422
    unknown = admin.patch(f"/api/models/{chat}", json={"parameters": {"creativity": 1}})
    assert unknown.status_code == 422
    actions = [e["action"] for e in admin.get("/api/audit").json()["items"]]
    assert actions.count("model.update") == 3


def test_manual_model_and_deletes(admin: httpx.Client, fake_openai: FakeOpenAI) -> None:
    provider = create(admin, fake_openai)
    added = admin.post(
        f"/api/providers/{provider['id']}/models",
        json={"model_id": "custom-1", "capabilities": ["chat", "vision"]},
    )
    assert added.status_code == 201 and added.json()["enabled"] is True
    again = admin.post(f"/api/providers/{provider['id']}/models", json={"model_id": "custom-1"})
    assert again.status_code == 409
    assert admin.delete(f"/api/models/{added.json()['id']}").status_code == 204
    assert admin.delete(f"/api/models/{added.json()['id']}").status_code == 404
    assert admin.delete(f"/api/providers/{provider['id']}").status_code == 204
    assert admin.get("/api/providers").json() == []


def test_anthropic_provider_lists_models(admin: httpx.Client) -> None:
    with FakeAnthropic(api_key="ant-key") as fake:
        fake.behaviour.models = ["claude-test"]
        created = admin.post(
            "/api/providers",
            json={
                "name": "Claude",
                "preset": "anthropic",
                "base_url": fake.base_url,
                "api_key": "ant-key",
            },
        )
        provider_id = created.json()["id"]
        summary = admin.post(f"/api/providers/{provider_id}/refresh-models").json()
        assert summary["added"] == ["claude-test"]
        assert admin.post(f"/api/providers/{provider_id}/test", json={}).json()["outcome"] == "ok"
