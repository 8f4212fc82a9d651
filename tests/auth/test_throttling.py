import httpx

from tests.conftest import USER_PASSWORD, LiveServer


def attempt(client: httpx.Client, email: str, password: str) -> httpx.Response:
    return client.post("/api/auth/login", json={"email": email, "password": password})


def test_sixth_attempt_is_refused_even_with_the_right_password(
    server: LiveServer, client: httpx.Client, admin: httpx.Client
) -> None:
    server.create_user("target@example.com")
    for _ in range(5):
        assert attempt(client, "target@example.com", "wrong guess").status_code == 401
    locked = attempt(client, "target@example.com", USER_PASSWORD)
    assert locked.status_code == 429
    assert locked.json()["code"] == "too_many_attempts"
    retry_after = int(locked.headers["retry-after"])
    assert 0 < retry_after <= 15 * 60

    locks = admin.get("/api/auth/locks").json()
    assert {"kind": "account", "key": "target@example.com"}.items() <= locks[0].items()
    assert locks[0]["failures"] == 5

    assert admin.delete("/api/auth/locks/account/target@example.com").status_code == 204
    assert attempt(client, "target@example.com", USER_PASSWORD).status_code == 200
    assert admin.delete("/api/auth/locks/account/target@example.com").status_code == 404
    actions = admin.get("/api/audit", params={"action": "auth.lock_cleared"}).json()
    assert actions["total"] == 1


def test_successful_login_resets_the_account_counter(
    server: LiveServer, client: httpx.Client
) -> None:
    server.create_user("forgetful@example.com")
    for _ in range(4):
        attempt(client, "forgetful@example.com", "wrong guess")
    assert attempt(client, "forgetful@example.com", USER_PASSWORD).status_code == 200
    for _ in range(4):
        assert attempt(client, "forgetful@example.com", "wrong guess").status_code == 401
    assert attempt(client, "forgetful@example.com", USER_PASSWORD).status_code == 200


def test_unknown_accounts_are_throttled_too(client: httpx.Client) -> None:
    for _ in range(5):
        response = attempt(client, "ghost@example.com", "whatever it is")
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_credentials"
    assert attempt(client, "ghost@example.com", "whatever it is").status_code == 429


def test_one_address_is_limited_across_accounts(server: LiveServer, client: httpx.Client) -> None:
    server.create_user("innocent@example.com")
    for index in range(20):
        assert attempt(client, f"spray{index}@example.com", "password1").status_code == 401
    blocked = attempt(client, "innocent@example.com", USER_PASSWORD)
    assert blocked.status_code == 429
    assert "retry-after" in blocked.headers


def test_locks_are_admin_only(alice: httpx.Client) -> None:
    assert alice.get("/api/auth/locks").status_code == 403
    assert alice.delete("/api/auth/locks/ip/127.0.0.1").status_code == 403
