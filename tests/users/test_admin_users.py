import httpx
from fastapi.routing import APIRoute
from sqlalchemy import func, select

from llmforge.app import ROUTERS
from llmforge.auth.deps import admin_user
from llmforge.users.models import User
from tests.conftest import ADMIN_EMAIL, USER_PASSWORD, LiveServer, can_sign_in, login


def uses_admin_dependency(route: APIRoute) -> bool:
    pending = list(route.dependant.dependencies)
    while pending:
        dependency = pending.pop()
        if dependency.call is admin_user:
            return True
        pending.extend(dependency.dependencies)
    return False


def admin_routes() -> list[tuple[str, str]]:
    routes = []
    for route in (route for router in ROUTERS for route in router.routes):
        if isinstance(route, APIRoute) and uses_admin_dependency(route):
            path = (
                route.path.replace("{user_id}", "1")
                .replace("{kind}", "ip")
                .replace("{key:path}", "127.0.0.1")
            )
            routes.extend((method, path) for method in route.methods)
    return routes


def test_every_admin_route_refuses_users_and_anonymous(
    server: LiveServer, alice: httpx.Client, client: httpx.Client
) -> None:
    routes = admin_routes()
    assert len(routes) >= 10, routes
    for method, path in routes:
        as_user = alice.request(method, path, json={})
        assert as_user.status_code == 403, (method, path, as_user.text)
        assert as_user.json()["code"] == "admin_required"
        anonymous = client.request(method, path, json={})
        assert anonymous.status_code == 401, (method, path)


def test_list_search_filter_paginate(server: LiveServer, admin: httpx.Client) -> None:
    for index in range(25):
        server.create_user(f"member{index:02d}@example.com")
    server.create_user("outsider@corp.example")
    page = admin.get("/api/users", params={"page": 2, "page_size": 10}).json()
    assert page["total"] == 27 and page["page"] == 2 and len(page["items"]) == 10

    found = admin.get("/api/users", params={"q": "CORP"}).json()
    assert [user["email"] for user in found["items"]] == ["outsider@corp.example"]
    admins = admin.get("/api/users", params={"role": "admin"}).json()
    assert [user["email"] for user in admins["items"]] == [ADMIN_EMAIL]
    wildcard = admin.get("/api/users", params={"q": "%"}).json()
    assert wildcard["total"] == 0
    assert admin.get("/api/users", params={"page_size": 1000}).status_code == 422


def test_create_update_reset_delete(server: LiveServer, admin: httpx.Client) -> None:
    created = admin.post(
        "/api/users",
        json={"email": "new@example.com", "password": "initial pass", "role": "user"},
    )
    assert created.status_code == 201
    user_id = created.json()["id"]
    assert created.json()["display_name"] == "new"

    duplicate = admin.post("/api/users", json={"email": "NEW@example.com", "password": "12345678"})
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "email_taken"

    promoted = admin.patch(f"/api/users/{user_id}", json={"role": "admin", "display_name": "N"})
    assert promoted.json()["role"] == "admin" and promoted.json()["display_name"] == "N"

    with login(server, "new@example.com", "initial pass") as newcomer:
        reset = admin.post(f"/api/users/{user_id}/password", json={"new_password": "reset pass 1"})
        assert reset.status_code == 204
        assert newcomer.post("/api/auth/refresh").status_code == 401
    assert can_sign_in(server, "new@example.com", "reset pass 1")

    assert admin.delete(f"/api/users/{user_id}").status_code == 204
    assert admin.get(f"/api/users/{user_id}").status_code == 404
    entries = admin.get("/api/audit").json()["items"]
    actions = [entry["action"] for entry in entries if entry["action"].startswith("user.")]
    assert actions == ["user.delete", "user.password_reset", "user.update", "user.create"]


def test_last_active_admin_is_protected(server: LiveServer, admin: httpx.Client) -> None:
    me = admin.get("/api/auth/me").json()["id"]
    for change in ({"role": "user"}, {"is_active": False}):
        refused = admin.patch(f"/api/users/{me}", json=change)
        assert refused.status_code == 409 and refused.json()["code"] == "last_admin"
    assert admin.delete(f"/api/users/{me}").status_code == 409
    assert admin.get("/api/auth/me").json()["role"] == "admin"

    other = server.create_user("deputy@example.com")
    admin.patch(f"/api/users/{other.id}", json={"role": "admin"})
    assert admin.patch(f"/api/users/{me}", json={"role": "user"}).status_code == 200
    assert admin.get("/api/users").status_code == 403


def test_disabled_admin_does_not_count_as_the_other_admin(
    server: LiveServer, admin: httpx.Client
) -> None:
    other = server.create_user("sleeping@example.com")
    admin.patch(f"/api/users/{other.id}", json={"role": "admin"})
    admin.patch(f"/api/users/{other.id}", json={"is_active": False})
    me = admin.get("/api/auth/me").json()["id"]
    assert admin.delete(f"/api/users/{me}").status_code == 409


def test_unknown_ids_and_bad_input_write_nothing(server: LiveServer, admin: httpx.Client) -> None:
    def count() -> int:
        return int(server.db(lambda s: s.scalar(select(func.count()).select_from(User))))

    before = count()
    missing = admin.patch("/api/users/999999", json={"role": "admin"})
    assert missing.status_code == 404 and missing.json()["code"] == "user_not_found"
    assert admin.delete("/api/users/999999").status_code == 404
    assert admin.get("/api/users/not-a-number").status_code == 422
    weak = admin.post("/api/users", json={"email": "w@example.com", "password": "short"})
    assert weak.status_code == 422
    same = admin.post(
        "/api/users", json={"email": "same@example.com", "password": "same@example.com"}
    )
    assert same.status_code == 422 and same.json()["code"] == "weak_password"
    role = admin.post(
        "/api/users", json={"email": "r@example.com", "password": "12345678", "role": "god"}
    )
    assert role.status_code == 422
    assert count() == before
    assert admin.get("/api/audit", params={"action": "user.create"}).json()["total"] == 0


def test_regular_user_cannot_reach_other_users(alice: httpx.Client) -> None:
    assert alice.get("/api/users/1").status_code == 403
    assert USER_PASSWORD not in alice.get("/api/auth/me").text
