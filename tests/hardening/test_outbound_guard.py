"""The outbound guard (LLMFORGE_OUTBOUND_GUARD): off by default; when on, provider and Dify base
URLs that lead to non-public addresses are refused where they are saved and where they are
used for a test or a model refresh, unless allowed; nothing refused is stored."""

import ipaddress
from collections.abc import Iterator

import httpx
import pytest

from llmforge.core.outbound import is_public
from tests.conftest import LiveServer
from tests.fakes.dify import FakeDify
from tests.fakes.openai import FakeOpenAI

KEY = "sk-guard-test-key"
APP_KEY = "app-guard-test-key"


@pytest.fixture(scope="module")
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=KEY) as fake:
        yield fake


@pytest.fixture(scope="module")
def fake_dify() -> Iterator[FakeDify]:
    with FakeDify(api_key=APP_KEY) as fake:
        yield fake


@pytest.fixture
def guard(server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Turns the guard on for this test (the server reads its settings per request)."""
    monkeypatch.setattr(server.settings, "outbound_guard", True)
    monkeypatch.setattr(server.settings, "outbound_allow", [])
    return monkeypatch


def provider(base_url: str) -> dict[str, object]:
    return {"name": "P", "preset": "openai-compatible", "base_url": base_url, "api_key": KEY}


def dify_app(base_url: str) -> dict[str, object]:
    return {"name": "D", "base_url": base_url, "api_key": APP_KEY, "app_type": "chat"}


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("127.0.0.1", False),
        ("10.20.30.40", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),  # noqa: S104 - an address under test, not a bind
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fd00::1", False),
        ("::ffff:10.0.0.1", False),  # IPv4-mapped
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
    ],
)
def test_only_global_unicast_addresses_are_public(address: str, public: bool) -> None:
    assert is_public(ipaddress.ip_address(address)) is public


def test_off_by_default(server: LiveServer, admin: httpx.Client, fake_openai: FakeOpenAI) -> None:
    assert server.settings.outbound_guard is False
    created = admin.post("/api/providers", json=provider(fake_openai.base_url))
    assert created.status_code == 201
    assert (
        admin.post(f"/api/providers/{created.json()['id']}/test", json={}).json()["outcome"] == "ok"
    )


def test_private_provider_urls_are_refused_and_nothing_is_saved(
    admin: httpx.Client, guard: pytest.MonkeyPatch
) -> None:
    for url in (
        "http://127.0.0.1:11434/v1",
        "http://localhost:8000/v1",
        "http://169.254.169.254/latest",
        "http://[::1]:9/v1",
    ):
        refused = admin.post("/api/providers", json=provider(url))
        assert refused.status_code == 422, url
        body = refused.json()
        assert body["code"] == "outbound_address_blocked"
        assert "LLMFORGE_OUTBOUND_ALLOW" in body["message"]
        assert ipaddress.ip_address(body["details"]["address"]).is_global is False
    unresolved = admin.post("/api/providers", json=provider("http://no-such-host.invalid/v1"))
    assert unresolved.status_code == 422
    assert unresolved.json()["code"] == "outbound_host_unresolved"
    assert admin.get("/api/providers").json() == []
    public = admin.post("/api/providers", json=provider("http://8.8.8.8/v1"))
    assert public.status_code == 201  # saving does not call the upstream


def test_saved_private_provider_cannot_be_tested_refreshed_or_moved(
    server: LiveServer, admin: httpx.Client, fake_openai: FakeOpenAI
) -> None:
    created = admin.post("/api/providers", json=provider(fake_openai.base_url)).json()
    fake_openai.reset()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(server.settings, "outbound_guard", True)
        test = admin.post(f"/api/providers/{created['id']}/test", json={})
        refresh = admin.post(f"/api/providers/{created['id']}/refresh-models")
        moved = admin.patch(f"/api/providers/{created['id']}", json={"base_url": "http://10.1.1.1"})
    for response in (test, refresh, moved):
        assert response.status_code == 422
        assert response.json()["code"] == "outbound_address_blocked"
    assert fake_openai.requests == []  # nothing went out
    stored = admin.get(f"/api/providers/{created['id']}").json()
    assert stored["base_url"] == created["base_url"] and stored["last_test"] is None


def test_allowlist_by_range_and_by_host_name(
    server: LiveServer, admin: httpx.Client, fake_openai: FakeOpenAI, guard: pytest.MonkeyPatch
) -> None:
    guard.setattr(server.settings, "outbound_allow", ["127.0.0.0/8"])
    created = admin.post("/api/providers", json=provider(fake_openai.base_url))
    assert created.status_code == 201
    assert (
        admin.post(f"/api/providers/{created.json()['id']}/test", json={}).json()["outcome"] == "ok"
    )
    local = fake_openai.base_url.replace("127.0.0.1", "localhost")
    guard.setattr(server.settings, "outbound_allow", ["LOCALHOST"])
    renamed = admin.patch(f"/api/providers/{created.json()['id']}", json={"base_url": local})
    assert renamed.status_code == 200 and renamed.json()["base_url"] == local
    guard.setattr(server.settings, "outbound_allow", ["10.0.0.0/8"])
    refused = admin.patch(f"/api/providers/{created.json()['id']}", json={"name": "x"})
    assert refused.status_code == 200  # no URL change, nothing to check
    assert admin.post(f"/api/providers/{created.json()['id']}/test", json={}).status_code == 422


def test_dify_app_urls_are_guarded(
    server: LiveServer, alice: httpx.Client, fake_dify: FakeDify
) -> None:
    fake_dify.reset()
    saved = alice.post("/api/dify-apps", json=dify_app(fake_dify.base_url))
    assert saved.status_code == 201
    app_id = saved.json()["id"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(server.settings, "outbound_guard", True)
        created = alice.post(
            "/api/dify-apps", json=dify_app("http://192.168.0.10/v1") | {"name": "E"}
        )
        moved = alice.patch(f"/api/dify-apps/{app_id}", json={"base_url": "http://10.0.0.2/v1"})
        test = alice.post(f"/api/dify-apps/{app_id}/test")
    for response in (created, moved, test):
        assert response.status_code == 422
        assert response.json()["code"] == "outbound_address_blocked"
    apps = alice.get("/api/dify-apps").json()
    assert [(app["name"], app["base_url"]) for app in apps] == [("D", saved.json()["base_url"])]
    assert alice.post(f"/api/dify-apps/{app_id}/test").json()["outcome"] == "ok"  # guard off again
