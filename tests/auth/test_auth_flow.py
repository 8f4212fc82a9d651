from datetime import timedelta

import httpx
from sqlalchemy import func, select

from llmforge.audit.models import AuditEntry
from llmforge.core.security import create_access_token
from llmforge.users.models import User
from tests.conftest import USER_PASSWORD, LiveServer, can_sign_in, login


def audit_actions(server: LiveServer) -> list[str]:
    rows = server.db(lambda s: s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    return list(rows)


def user_count(server: LiveServer) -> int:
    return int(server.db(lambda s: s.scalar(select(func.count()).select_from(User))))


def test_register_login_me_logout(server: LiveServer, client: httpx.Client) -> None:
    created = client.post(
        "/api/auth/register",
        json={"email": " Bob@Example.com ", "password": "s3cret-pass", "display_name": "Bob"},
    )
    assert created.status_code == 201, created.text
    assert created.json()["email"] == "bob@example.com"
    assert created.json()["role"] == "user"
    assert "password" not in created.text

    signed_in = client.post(
        "/api/auth/login", json={"email": "bob@example.com", "password": "s3cret-pass"}
    )
    assert signed_in.status_code == 200
    body = signed_in.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 900
    cookie = signed_in.headers["set-cookie"]
    assert "llmforge_refresh=" in cookie and "HttpOnly" in cookie
    assert "Path=/api/auth/refresh" in cookie and "SameSite=strict" in cookie

    auth = {"Authorization": f"Bearer {body['access_token']}"}
    me = client.get("/api/auth/me", headers=auth)
    assert me.status_code == 200 and me.json()["display_name"] == "Bob"
    assert me.json()["last_login_at"] is not None

    assert client.post("/api/auth/logout", headers=auth).status_code == 204
    after = client.get("/api/auth/me", headers=auth)
    assert after.status_code == 401 and after.json()["code"] == "session_ended"
    assert client.post("/api/auth/refresh").status_code == 401
    assert audit_actions(server) == ["auth.register", "auth.login", "auth.logout"]


def test_me_requires_a_token(client: httpx.Client) -> None:
    response = client.get("/api/auth/me")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response.headers["www-authenticate"] == "Bearer"


def test_refresh_rotates_the_token(server: LiveServer, alice: httpx.Client) -> None:
    first_cookie = alice.cookies["llmforge_refresh"]
    refreshed = alice.post("/api/auth/refresh")
    assert refreshed.status_code == 200
    second_cookie = alice.cookies["llmforge_refresh"]
    assert second_cookie != first_cookie
    token = refreshed.json()["access_token"]
    me = alice.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["email"] == "alice@example.com"


def test_reusing_a_rotated_refresh_token_revokes_the_family(
    server: LiveServer, alice: httpx.Client
) -> None:
    stolen = alice.cookies["llmforge_refresh"]
    assert alice.post("/api/auth/refresh").status_code == 200
    current = alice.cookies["llmforge_refresh"]

    with httpx.Client(base_url=server.url) as attacker:
        attacker.cookies.set("llmforge_refresh", stolen, path="/api/auth/refresh")
        reused = attacker.post("/api/auth/refresh")
    assert reused.status_code == 401
    assert reused.json()["code"] == "invalid_refresh_token"

    alice.cookies.clear()
    alice.cookies.set("llmforge_refresh", current, path="/api/auth/refresh")
    assert alice.post("/api/auth/refresh").status_code == 401
    assert alice.get("/api/auth/me").status_code == 401
    assert "auth.refresh_reuse_detected" in audit_actions(server)


def test_expired_access_token_is_refused(server: LiveServer, alice: httpx.Client) -> None:
    user_id = alice.get("/api/auth/me").json()["id"]
    expired = create_access_token(
        key=server.settings.jwt_key,
        user_id=user_id,
        role="user",
        session_id="any",
        lifetime=timedelta(seconds=-5),
    )
    response = alice.get("/api/auth/me", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"


def test_tampered_token_is_refused(alice: httpx.Client) -> None:
    token = alice.headers["Authorization"].removeprefix("Bearer ")
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[::-1]}"
    response = alice.get("/api/auth/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"
    garbage = alice.get("/api/auth/me", headers={"Authorization": "Bearer not-a-jwt"})
    assert garbage.json()["code"] == "invalid_token"


def test_token_signed_with_another_key_is_refused(server: LiveServer, alice: httpx.Client) -> None:
    user_id = alice.get("/api/auth/me").json()["id"]
    foreign = create_access_token(
        key="another-key-" + "x" * 40,
        user_id=user_id,
        role="admin",
        session_id="s",
        lifetime=timedelta(minutes=5),
    )
    response = alice.get("/api/users", headers={"Authorization": f"Bearer {foreign}"})
    assert response.status_code == 401


def test_password_change_revokes_other_sessions(server: LiveServer, alice: httpx.Client) -> None:
    with login(server, "alice@example.com", USER_PASSWORD) as laptop:
        changed = alice.post(
            "/api/auth/password",
            json={"current_password": USER_PASSWORD, "new_password": "a brand new one"},
        )
        assert changed.status_code == 204
        assert laptop.get("/api/auth/me").status_code == 401
        assert laptop.post("/api/auth/refresh").status_code == 401
    assert alice.get("/api/auth/me").status_code == 200
    assert alice.post("/api/auth/refresh").status_code == 200
    old = httpx.post(
        f"{server.url}/api/auth/login",
        json={"email": "alice@example.com", "password": USER_PASSWORD},
    )
    assert old.status_code == 401
    assert "auth.password_change" in audit_actions(server)


def test_password_change_needs_the_current_password(
    server: LiveServer, alice: httpx.Client
) -> None:
    response = alice.post(
        "/api/auth/password",
        json={"current_password": "not it at all", "new_password": "a brand new one"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "wrong_password"
    assert can_sign_in(server, "alice@example.com", USER_PASSWORD)


def test_profile_update(server: LiveServer, alice: httpx.Client) -> None:
    response = alice.patch("/api/auth/me", json={"display_name": "  Alice A.  "})
    assert response.status_code == 200
    assert response.json()["display_name"] == "Alice A."
    assert audit_actions(server)[-1] == "auth.profile_update"
    empty = alice.patch("/api/auth/me", json={"display_name": "   "})
    assert empty.status_code == 422


def test_oauth2_password_form_for_docs(server: LiveServer, client: httpx.Client) -> None:
    server.create_user("carol@example.com")
    response = client.post(
        "/api/auth/token", data={"username": "carol@example.com", "password": USER_PASSWORD}
    )
    assert response.status_code == 200
    token = response.json()["access_token"]
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["email"] == "carol@example.com"
    bad = client.post("/api/auth/token", data={"username": "carol", "password": "x"})
    assert bad.status_code == 422


def test_refresh_cookie_of_another_user_is_refused(server: LiveServer, alice: httpx.Client) -> None:
    server.create_user("mallory@example.com")
    with login(server, "mallory@example.com", USER_PASSWORD) as mallory:
        alice.cookies.clear()
        alice.cookies.set(
            "llmforge_refresh", mallory.cookies["llmforge_refresh"], path="/api/auth/refresh"
        )
        response = alice.post("/api/auth/refresh")
        assert response.status_code == 401
        assert response.json()["code"] == "refresh_token_mismatch"
        assert mallory.post("/api/auth/refresh").status_code == 200


def test_disabled_user_is_locked_out_at_once(
    server: LiveServer, admin: httpx.Client, alice: httpx.Client
) -> None:
    alice_id = alice.get("/api/auth/me").json()["id"]
    assert admin.patch(f"/api/users/{alice_id}", json={"is_active": False}).status_code == 200
    assert alice.get("/api/auth/me").status_code == 401
    assert alice.post("/api/auth/refresh").status_code == 401
    again = httpx.post(
        f"{server.url}/api/auth/login",
        json={"email": "alice@example.com", "password": USER_PASSWORD},
    )
    assert again.status_code == 403
    assert again.json()["code"] == "user_disabled"


def test_bcrypt_hash_is_accepted_and_upgraded(server: LiveServer) -> None:
    import bcrypt

    legacy = bcrypt.hashpw(b"legacy password", bcrypt.gensalt(rounds=4)).decode()
    user = server.create_user("legacy@example.com")

    async def set_legacy_hash(session):  # type: ignore[no-untyped-def]
        (await session.get(User, user.id)).password_hash = legacy

    server.db(set_legacy_hash)
    assert can_sign_in(server, "legacy@example.com", "legacy password")
    stored = server.db(lambda s: s.scalar(select(User.password_hash).where(User.id == user.id)))
    assert stored.startswith("$argon2id$")
    assert can_sign_in(server, "legacy@example.com", "legacy password")


def test_registration_can_be_closed(
    server: LiveServer, admin: httpx.Client, client: httpx.Client
) -> None:
    assert client.get("/api/auth/config").json() == {"registration_open": True}
    closed = admin.patch("/api/admin/settings", json={"registration_open": False})
    assert closed.json()["registration_open"] is False
    assert client.get("/api/auth/config").json() == {"registration_open": False}
    before = user_count(server)
    refused = client.post(
        "/api/auth/register", json={"email": "late@example.com", "password": "long enough"}
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "registration_closed"
    assert user_count(server) == before
    assert admin.get("/api/admin/settings").json()["registration_open"] is False
    assert "settings.update" in audit_actions(server)
