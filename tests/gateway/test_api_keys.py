from datetime import UTC, datetime, timedelta

import httpx

from tests.gateway.conftest import CHAT, EMBED, KeyMaker


def test_a_key_is_shown_once_and_stored_hashed(
    alice: httpx.Client, admin: httpx.Client, make_key: KeyMaker
) -> None:
    expires = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    key = make_key(
        name="CI bot", expires_at=expires, model_allowlist=[CHAT, CHAT], rate_limit_per_minute=60
    )
    assert key["secret"].startswith("lf-") and len(key["secret"]) > 40
    assert key["prefix"] == key["secret"][:10]
    assert key["model_allowlist"] == [CHAT] and key["rate_limit_per_minute"] == 60
    assert key["last_used_at"] is None and key["revoked_at"] is None

    listed = alice.get("/api/api-keys").json()
    assert [k["name"] for k in listed] == ["CI bot"]
    assert "secret" not in listed[0] and key["secret"] not in str(listed)
    assert "secret_hash" not in listed[0]

    models = alice.get("/api/api-keys/models").json()
    assert [(m["name"], m["kind"], m["embeds"]) for m in models] == [
        (CHAT, "model", False),
        (EMBED, "model", True),
    ]
    audit = admin.get("/api/audit", params={"action": "api_key.create"}).json()["items"]
    assert audit[0]["detail"] == {"name": "CI bot", "prefix": key["prefix"]}


def test_bad_keys_revoke_and_delete(
    alice: httpx.Client, bob: httpx.Client, admin: httpx.Client, make_key: KeyMaker
) -> None:
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    for body, code in (
        ({"name": "x", "model_allowlist": ["no/such-model"]}, "unknown_model"),
        ({"name": "x", "expires_at": past}, "expiry_in_past"),
        ({"name": "x", "rate_limit_per_minute": 0}, "validation_error"),
        ({"name": ""}, "validation_error"),
    ):
        refused = alice.post("/api/api-keys", json=body)
        assert (refused.status_code, refused.json()["code"]) == (422, code), refused.text
    unknown = alice.post("/api/api-keys", json={"name": "x", "model_allowlist": ["no/such"]})
    assert "no/such" in unknown.json()["message"]
    assert alice.get("/api/api-keys").json() == []

    key = make_key()
    for method, path in (
        ("POST", f"/api/api-keys/{key['id']}/revoke"),
        ("DELETE", f"/api/api-keys/{key['id']}"),
    ):
        response = bob.request(method, path)
        assert (response.status_code, response.json()["code"]) == (404, "api_key_not_found")
    assert bob.get("/api/api-keys").json() == []

    revoked = alice.post(f"/api/api-keys/{key['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    again = alice.post(f"/api/api-keys/{key['id']}/revoke")
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]
    assert alice.get("/api/api-keys").json()[0]["revoked_at"] is not None

    assert alice.delete(f"/api/api-keys/{key['id']}").status_code == 204
    assert alice.get("/api/api-keys").json() == []
    actions = [e["action"] for e in admin.get("/api/audit").json()["items"]]
    assert actions.count("api_key.revoke") == 1 and "api_key.delete" in actions
