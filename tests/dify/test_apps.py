import httpx
import pytest
from sqlalchemy import select

from llmforge.dify.models import DifyApp
from tests.conftest import LiveServer
from tests.dify.conftest import APP_KEY, register
from tests.fakes.dify import FakeDify


def stored_key_columns(server: LiveServer) -> list[tuple[str, str]]:
    async def read(session):  # type: ignore[no-untyped-def]
        rows = await session.execute(select(DifyApp.api_key_encrypted, DifyApp.api_key_hint))
        return [tuple(row) for row in rows.all()]

    return server.db(read)  # type: ignore[no-any-return]


def test_register_keeps_the_key_encrypted_and_never_returns_it(
    server: LiveServer, alice: httpx.Client, dify: FakeDify
) -> None:
    app = register(alice, dify, name="  Helpdesk  ")
    assert app["name"] == "Helpdesk" and app["app_type"] == "chat"
    assert app["status"] == "untested" and app["editable"] is True and app["shared"] is False
    assert app["api_key_hint"] == "app…" + APP_KEY[-4:] and APP_KEY not in str(app)
    assert "api_key" not in app and "api_key_encrypted" not in app
    [(encrypted, hint)] = stored_key_columns(server)
    assert APP_KEY not in encrypted and APP_KEY not in hint
    assert server.app.state.secret_box.decrypt(encrypted) == APP_KEY
    listed = alice.get("/api/dify-apps").json()
    assert [item["id"] for item in listed] == [app["id"]] and APP_KEY not in str(listed)


def test_a_bare_server_address_gets_the_service_api_path(
    alice: httpx.Client, dify: FakeDify
) -> None:
    app = register(alice, dify, base_url=dify.url + "/")
    assert app["base_url"] == dify.url + "/v1"


def test_connection_test_passes_then_reports_a_wrong_key_and_a_wrong_type(
    alice: httpx.Client, dify: FakeDify
) -> None:
    app = register(alice, dify)
    ok = alice.post(f"/api/dify-apps/{app['id']}/test").json()
    assert ok["outcome"] == "ok" and ok["message"] == "connected: Fake Dify app"
    assert dify.requests[-1].headers["authorization"] == f"Bearer {APP_KEY}"
    assert alice.get(f"/api/dify-apps/{app['id']}").json()["status"] == "ok"

    alice.patch(f"/api/dify-apps/{app['id']}", json={"api_key": "app-wrong-key-123456"})
    failed = alice.post(f"/api/dify-apps/{app['id']}/test").json()
    assert failed["outcome"] == "authentication_failed" and failed["status"] == 401
    assert failed["message"] == "Access token is invalid"
    assert alice.get(f"/api/dify-apps/{app['id']}").json()["status"] == "failing"

    alice.patch(f"/api/dify-apps/{app['id']}", json={"api_key": APP_KEY, "app_type": "workflow"})
    wrong_type = alice.post(f"/api/dify-apps/{app['id']}/test").json()
    assert wrong_type["outcome"] == "bad_response"
    assert "is a Dify chat app, not a workflow app" in wrong_type["message"]


def test_an_unreachable_server_fails_the_test(alice: httpx.Client, dify: FakeDify) -> None:
    app = register(alice, dify, base_url="http://127.0.0.1:9/v1")
    result = alice.post(f"/api/dify-apps/{app['id']}/test").json()
    assert result["outcome"] == "unreachable"


def test_changing_the_key_replaces_the_hint_and_forgets_the_last_test(
    server: LiveServer, alice: httpx.Client, dify: FakeDify
) -> None:
    app = register(alice, dify)
    alice.post(f"/api/dify-apps/{app['id']}/test")
    changed = alice.patch(
        f"/api/dify-apps/{app['id']}", json={"api_key": "app-new-key-abcd9876", "name": "Desk"}
    ).json()
    assert changed["api_key_hint"].endswith("9876") and changed["name"] == "Desk"
    assert changed["last_test"] is None and changed["status"] == "untested"
    audit = [entry["detail"] for entry in server_audit(server)]
    assert {"name": "Desk", "api_key": "replaced"} in audit
    assert "app-new-key-abcd9876" not in str(audit)


def server_audit(server: LiveServer) -> list[dict]:  # type: ignore[type-arg]
    from llmforge.audit.models import AuditEntry

    async def read(session):  # type: ignore[no-untyped-def]
        rows = await session.scalars(select(AuditEntry).where(AuditEntry.action.like("dify_app.%")))
        return [{"action": row.action, "detail": row.detail} for row in rows]

    return server.db(read)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("field", "value", "location"),
    [
        ("base_url", "not a url", "base_url"),
        ("base_url", "ftp://dify.example.com/v1", "base_url"),
        ("app_type", "chatbot", "app_type"),
        ("api_key", "   ", "api_key"),
        ("name", "", "name"),
        ("input_variable", "user input", "input_variable"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(
    alice: httpx.Client, dify: FakeDify, field: str, value: str, location: str
) -> None:
    body = {"name": "X", "base_url": dify.base_url, "api_key": APP_KEY, "app_type": "chat"}
    response = alice.post("/api/dify-apps", json={**body, field: value})
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert location in str(response.json()["details"])
    assert alice.get("/api/dify-apps").json() == []


def test_names_are_unique_per_owner(alice: httpx.Client, bob: httpx.Client, dify: FakeDify) -> None:
    register(alice, dify)
    clash = alice.post(
        "/api/dify-apps",
        json={"name": "helpdesk", "base_url": dify.base_url, "api_key": "k", "app_type": "chat"},
    )
    assert clash.status_code == 409 and clash.json()["code"] == "dify_app_name_taken"
    register(bob, dify)  # another owner may use the same name


def test_another_users_private_app_is_a_404(
    alice: httpx.Client, bob: httpx.Client, dify: FakeDify
) -> None:
    app = register(alice, dify)
    assert bob.get("/api/dify-apps").json() == []
    for method, path in [
        ("GET", f"/api/dify-apps/{app['id']}"),
        ("PATCH", f"/api/dify-apps/{app['id']}"),
        ("DELETE", f"/api/dify-apps/{app['id']}"),
        ("POST", f"/api/dify-apps/{app['id']}/test"),
        ("POST", f"/api/dify-apps/{app['id']}/chat-sessions"),
    ]:
        response = bob.request(method, path, json={} if method != "GET" else None)
        assert response.status_code == 404, (method, path)
        assert response.json()["code"] == "dify_app_not_found"
    assert dify.requests == []


def test_admins_share_apps_that_others_use_but_cannot_change(
    admin: httpx.Client, alice: httpx.Client, dify: FakeDify
) -> None:
    refused = alice.post(
        "/api/dify-apps",
        json={
            "name": "X",
            "base_url": dify.base_url,
            "api_key": APP_KEY,
            "app_type": "chat",
            "shared": True,
        },
    )
    assert refused.status_code == 403 and refused.json()["code"] == "sharing_admin_only"
    shared = register(admin, dify, name="Company helpdesk", shared=True)
    seen = alice.get("/api/dify-apps").json()
    assert [(app["id"], app["editable"]) for app in seen] == [(shared["id"], False)]
    change = alice.patch(f"/api/dify-apps/{shared['id']}", json={"name": "Mine"})
    assert change.status_code == 403 and change.json()["code"] == "dify_app_not_editable"
    assert alice.delete(f"/api/dify-apps/{shared['id']}").status_code == 403
    assert alice.post(f"/api/dify-apps/{shared['id']}/chat-sessions", json={}).status_code == 201

    admin.patch(f"/api/dify-apps/{shared['id']}", json={"shared": False})
    assert alice.get(f"/api/dify-apps/{shared['id']}").status_code == 404


def test_delete_removes_the_app(alice: httpx.Client, dify: FakeDify) -> None:
    app = register(alice, dify)
    assert alice.delete(f"/api/dify-apps/{app['id']}").status_code == 204
    assert alice.get(f"/api/dify-apps/{app['id']}").status_code == 404
