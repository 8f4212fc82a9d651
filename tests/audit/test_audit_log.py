from datetime import UTC, datetime, timedelta

import httpx

from tests.conftest import ADMIN_EMAIL, LiveServer


def test_each_action_is_recorded_with_actor_ip_and_agent(
    server: LiveServer, admin: httpx.Client, client: httpx.Client
) -> None:
    client.post(
        "/api/auth/login",
        json={"email": ADMIN_EMAIL, "password": "wrong password"},
        headers={"User-Agent": "audit-test/1.0"},
    )
    created = admin.post("/api/users", json={"email": "x@example.com", "password": "password x"})
    entries = admin.get("/api/audit").json()["items"]
    newest, failed = entries[0], next(e for e in entries if e["action"] == "auth.login_failed")

    assert newest["action"] == "user.create"
    assert newest["actor_email"] == ADMIN_EMAIL
    assert newest["target_type"] == "user" and newest["target_id"] == str(created.json()["id"])
    assert newest["ip"] == "127.0.0.1"
    assert newest["detail"] == {"email": "x@example.com", "role": "user"}
    assert failed["actor_id"] is None and failed["actor_email"] == ADMIN_EMAIL
    assert failed["user_agent"] == "audit-test/1.0"
    assert failed["detail"] == {"reason": "wrong_credentials"}
    assert "wrong password" not in str(entries)


def test_filters_and_pagination(server: LiveServer, admin: httpx.Client) -> None:
    for index in range(3):
        admin.post("/api/users", json={"email": f"u{index}@example.com", "password": "password x"})
    by_action = admin.get("/api/audit", params={"action": "user.create", "page_size": 2}).json()
    assert by_action["total"] == 3 and len(by_action["items"]) == 2
    by_actor = admin.get("/api/audit", params={"actor": "root@"}).json()
    assert by_actor["total"] == 4  # the admin's login and three creations
    admin_id = admin.get("/api/auth/me").json()["id"]
    assert admin.get("/api/audit", params={"actor": str(admin_id)}).json()["total"] == 4

    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert admin.get("/api/audit", params={"since": future}).json()["total"] == 0
    past = (datetime.now(UTC) - timedelta(hours=1)).replace(tzinfo=None).isoformat()
    assert admin.get("/api/audit", params={"since": past, "until": future}).json()["total"] == 4
    assert admin.get("/api/audit", params={"since": "yesterday"}).status_code == 422
    assert admin.get("/api/audit/actions").json() == ["auth.login", "user.create"]


def test_audit_log_is_read_only_over_http(admin: httpx.Client) -> None:
    entry = admin.get("/api/audit").json()["items"][0]
    assert admin.delete(f"/api/audit/{entry['id']}").status_code in (404, 405)
    assert admin.put("/api/audit", json={}).status_code == 405
