from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from llmforge.training.models import JobStatus, TrainingJob
from llmforge.users.models import User
from tests.conftest import LiveServer
from tests.fakes.openai import FakeOpenAI
from tests.sse import collect
from tests.training.helpers import add_base_model, add_dataset
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


def test_dashboard_counts_training_jobs_by_state(
    server: LiveServer, admin: httpx.Client, alice: httpx.Client
) -> None:
    base_model_id = add_base_model(server)
    dataset_id = add_dataset(server, "alice@example.com")
    states = [JobStatus.queued, JobStatus.succeeded, JobStatus.succeeded, JobStatus.failed]

    async def add_jobs(session: Any) -> None:
        user_id = await session.scalar(select(User.id).where(User.email == "alice@example.com"))
        session.add_all(
            TrainingJob(
                user_id=user_id,
                name=f"job {index}",
                base_model_id=base_model_id,
                dataset_id=dataset_id,
                method="lora",
                stage="sft",
                template="smollm2",
                status=state,
            )
            for index, state in enumerate(states)
        )

    server.db(add_jobs)
    board = admin.get("/api/admin/dashboard").json()
    assert board["training_jobs_by_state"] == {"queued": 1, "succeeded": 2, "failed": 1}
