import time
from datetime import UTC, datetime
from decimal import Decimal

import httpx

from llmforge.usage.quotas import month_start, next_month
from tests.conftest import LiveServer
from tests.fakes.openai import FakeOpenAI
from tests.sse import by_name, collect


def chat(alice: httpx.Client, chat_id: int, content: str = "Hi") -> list:  # type: ignore[type-arg]
    return collect(alice, f"/api/chat/sessions/{chat_id}/messages", {"content": content})


def my_usage(alice: httpx.Client, calls: int) -> dict:  # type: ignore[type-arg]
    """Usage rows are written in batches off the hot path: wait until they land."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        usage = alice.get("/api/usage/me").json()
        if usage["totals"]["calls"] >= calls:
            return usage  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError("usage rows were not written")


def test_every_chat_answer_records_one_usage_row(
    alice: httpx.Client, chat_id: int, fake: FakeOpenAI
) -> None:
    chat(alice, chat_id)
    chat(alice, chat_id)
    usage = my_usage(alice, 2)
    totals = usage["totals"]
    assert (totals["calls"], totals["input_tokens"], totals["output_tokens"]) == (2, 22, 14)
    assert Decimal(usage["totals"]["cost"]) == Decimal(2 * (11 * 2 + 7 * 10)) / 1_000_000
    assert [day["calls"] for day in usage["by_day"]] == [2]
    assert usage["by_day"][0]["day"] == datetime.now(UTC).date().isoformat()
    assert [(m["model_name"], m["calls"]) for m in usage["by_model"]] == [("fake-chat", 2)]
    assert usage["budget"]["token_limit"] is None and usage["budget"]["tokens_used"] == 36


def test_quota_refuses_before_calling_upstream(
    admin: httpx.Client, alice: httpx.Client, chat_id: int, fake: FakeOpenAI
) -> None:
    alice_id = alice.get("/api/auth/me").json()["id"]
    set_quota = admin.put(f"/api/usage/quotas/{alice_id}", json={"monthly_token_limit": 30})
    assert set_quota.status_code == 200 and set_quota.json()["token_limit"] == 30
    chat(alice, chat_id)  # 18 tokens: still under the budget when it started
    my_usage(alice, 1)
    chat(alice, chat_id)  # 36 tokens now
    calls_before = len(fake.requests)
    refused = chat(alice, chat_id)
    assert refused[0].data["status"] == 429 and refused[0].data["code"] == "quota_exceeded"
    assert "30" in refused[0].data["message"] and "resets" in refused[0].data["message"]
    assert len(fake.requests) == calls_before  # the upstream was never called
    assert len(alice.get(f"/api/chat/sessions/{chat_id}").json()["messages"]) == 4

    assert admin.delete(f"/api/usage/quotas/{alice_id}").status_code == 204
    assert by_name(chat(alice, chat_id), "done")[0]["message"]["status"] == "complete"
    actions = [e["action"] for e in admin.get("/api/audit").json()["items"]]
    assert "quota.set" in actions and "quota.reset" in actions


def test_default_budget_and_cost_budget(
    admin: httpx.Client, alice: httpx.Client, chat_id: int
) -> None:
    updated = admin.patch("/api/admin/settings", json={"default_monthly_cost_limit": "0.0001"})
    assert updated.json()["default_monthly_cost_limit"] == "0.0001"
    chat(alice, chat_id)
    my_usage(alice, 1)
    chat(alice, chat_id)
    my_usage(alice, 2)  # 2 * 0.000092 = 0.000184 > 0.0001
    refused = chat(alice, chat_id)
    assert (
        refused[0].data["code"] == "quota_exceeded" and "cost budget" in refused[0].data["message"]
    )
    budget = alice.get("/api/usage/me").json()["budget"]
    assert budget["is_default"] is True and Decimal(budget["cost_limit"]) == Decimal("0.0001")
    cleared = admin.patch("/api/admin/settings", json={"default_monthly_cost_limit": None})
    assert cleared.json()["default_monthly_cost_limit"] is None
    assert by_name(chat(alice, chat_id), "done")


def test_quota_admin_routes(server: LiveServer, admin: httpx.Client) -> None:
    bob = server.create_user("bob@example.com")
    assert admin.get("/api/usage/quotas").json() == []
    admin.put(f"/api/usage/quotas/{bob.id}", json={"monthly_cost_limit": "12.5"})
    listed = admin.get("/api/usage/quotas").json()
    assert [(q["email"], q["cost_limit"], q["token_limit"]) for q in listed] == [
        ("bob@example.com", "12.5000", None)
    ]
    assert admin.get(f"/api/usage/quotas/{bob.id}").json()["is_default"] is False
    assert admin.put("/api/usage/quotas/99999", json={}).status_code == 404
    assert (
        admin.put(f"/api/usage/quotas/{bob.id}", json={"monthly_token_limit": -1}).status_code
        == 422
    )


def test_usage_window_validation(alice: httpx.Client) -> None:
    bad = alice.get(
        "/api/usage/me", params={"since": "2026-11-10T00:00:00Z", "until": "2026-11-01T00:00:00Z"}
    )
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_range"
    assert alice.get("/api/usage/me", params={"since": "2026-11-10T00:00:00"}).status_code == 422


def test_month_boundaries() -> None:
    moment = datetime(2026, 12, 17, 15, 30, tzinfo=UTC)
    assert month_start(moment) == datetime(2026, 12, 1, tzinfo=UTC)
    assert next_month(moment) == datetime(2027, 1, 1, tzinfo=UTC)
    assert next_month(datetime(2026, 2, 3, tzinfo=UTC)) == datetime(2026, 3, 1, tzinfo=UTC)
