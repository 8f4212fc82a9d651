from datetime import UTC, datetime, timedelta

import httpx

from tests.fakes.openai import FakeOpenAI
from tests.sse import collect
from tests.usage.test_usage_and_quotas import my_usage


def test_dashboard_counts_people_conversations_usage_and_provider_health(
    admin: httpx.Client, alice: httpx.Client, chat_id: int, fake: FakeOpenAI
) -> None:
    collect(alice, f"/api/chat/sessions/{chat_id}/messages", {"content": "one"})
    fake.behaviour.fail_status = 500
    fake.behaviour.fail_times = 10
    collect(alice, f"/api/chat/sessions/{chat_id}/messages", {"content": "two"})
    my_usage(alice, 2)

    board = admin.get("/api/admin/dashboard").json()
    assert board["users_total"] == 2 and board["users_active_7d"] == 2
    assert board["chat_sessions"] == 1 and board["chat_messages"] == 4
    assert board["totals"]["calls"] == 2
    assert [(row["model_name"], row["calls"]) for row in board["by_day_and_model"]] == [
        ("fake-chat", 2)
    ]
    assert board["top_users"][0]["email"] == "alice@example.com"
    health = board["providers"][0]
    assert (health["calls"], health["errors"], health["error_rate"]) == (2, 1, 0.5)
    assert health["median_ttft_ms"] is not None
    assert board["training_jobs_by_state"] == {}

    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    empty = admin.get(
        "/api/admin/dashboard", params={"since": later, "until": later.replace("+00:00", "Z")}
    )
    assert empty.status_code == 422
    future = admin.get(
        "/api/admin/dashboard",
        params={"since": later, "until": (datetime.now(UTC) + timedelta(days=2)).isoformat()},
    ).json()
    assert future["totals"]["calls"] == 0 and future["providers"] == []
    assert alice.get("/api/admin/dashboard").status_code == 403
