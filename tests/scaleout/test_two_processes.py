"""Any server process serves any request: a comparison streamed by one is stopped through the
other, a training job's live events are seen from either, an API key's rate limit holds across
both, and a key revoked through one is refused by the other."""

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
import redis

from llmforge.compare.registry import STOP_CHANNEL
from tests.fakes.openai import FakeOpenAI
from tests.llamafactory_env import tiny_model_path
from tests.redis_server import RedisServer
from tests.scaleout.conftest import ServerProcess
from tests.sse import Event, iter_events

UPSTREAM_KEY = "sk-scale-out"
Servers = tuple[ServerProcess, ServerProcess]


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=UPSTREAM_KEY) as fake:
        fake.behaviour.models = ["slow-a", "slow-b"]
        yield fake


@pytest.fixture(scope="module")
def model_ids(two_servers: Servers, admin_token: str, upstream: FakeOpenAI) -> list[int]:
    with two_servers[1].client(admin_token) as admin:
        provider = admin.post(
            "/api/providers",
            json={
                "name": "upstream",
                "preset": "openai-compatible",
                "base_url": upstream.base_url,
                "api_key": UPSTREAM_KEY,
            },
        )
        assert provider.status_code == 201, provider.text
        provider_id = provider.json()["id"]
        assert admin.post(f"/api/providers/{provider_id}/refresh-models").status_code == 200
        ids = [m["id"] for m in admin.get(f"/api/providers/{provider_id}/models").json()]
        for model_id in ids:
            assert admin.patch(f"/api/models/{model_id}", json={"enabled": True}).is_success
        return sorted(ids)


def test_both_processes_report_redis_ready(two_servers: Servers) -> None:
    for server in two_servers:
        ready = httpx.get(f"{server.url}/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"status": "ready", "database": "ok", "redis": "ok"}


def test_a_comparison_streamed_by_one_process_is_stopped_through_the_other(
    two_servers: Servers, alice_token: str, model_ids: list[int], upstream: FakeOpenAI
) -> None:
    _stream_in_one_stop_in_the_other(two_servers, alice_token, model_ids, upstream)


def test_stops_still_reach_the_other_process_after_redis_restarts(
    two_servers: Servers,
    alice_token: str,
    model_ids: list[int],
    upstream: FakeOpenAI,
    redis_server: RedisServer,
) -> None:
    redis_server.restart()
    deadline = time.monotonic() + 30
    while _stop_listeners(redis_server) < len(two_servers):  # both subscribed again
        assert time.monotonic() < deadline, "the processes did not subscribe again"
        time.sleep(0.1)
    _stream_in_one_stop_in_the_other(two_servers, alice_token, model_ids, upstream)


def _stop_listeners(redis_server: RedisServer) -> int:
    with redis.Redis.from_url(redis_server.url) as client:
        try:
            return int(dict(client.pubsub_numsub(STOP_CHANNEL))[STOP_CHANNEL.encode()])
        except redis.ConnectionError:
            return 0


def _stream_in_one_stop_in_the_other(
    two_servers: Servers, alice_token: str, model_ids: list[int], upstream: FakeOpenAI
) -> None:
    first, second = two_servers
    upstream.reset()
    upstream.behaviour.models = ["slow-a", "slow-b"]
    upstream.behaviour.reply = "word " * 400
    upstream.behaviour.token_delay = 0.02  # about 8 s per lane unless stopped
    body = {"prompt": "Take your time", "lanes": [{"model_id": m} for m in model_ids]}
    events: list[Event] = []
    stop: httpx.Response | None = None
    with (
        first.client(alice_token) as streaming,
        second.client(alice_token) as other,
        streaming.stream("POST", "/api/compare", json=body) as response,
    ):
        assert response.status_code == 200
        for event in iter_events(response):
            events.append(event)
            if stop is None and event.name == "content":
                run_id = next(e.data["run"]["id"] for e in events if e.name == "run")
                stop = other.post(f"/api/compare/{run_id}/stop")
        stored = other.get(f"/api/compare/{run_id}").json()
    assert stop is not None and stop.status_code == 204, stop
    lanes_done = [e.data["lane"] for e in events if e.name == "lane_done"]
    assert [lane["status"] for lane in lanes_done] == ["interrupted", "interrupted"]
    assert all(0 < len(lane["content"]) < len(upstream.behaviour.reply) for lane in lanes_done)
    assert [lane["status"] for lane in stored["lanes"]] == ["interrupted", "interrupted"]
    assert upstream.wait_for_disconnect(timeout=10), "the stopped lanes' upstream stayed open"


def _training_job(first: ServerProcess, admin_token: str, alice_token: str) -> dict[str, Any]:
    with first.client(admin_token) as admin, first.client(alice_token) as alice:
        base = admin.post(
            "/api/training/base-models",
            json={"name": "tiny", "path": str(tiny_model_path()), "template": "smollm2"},
        )
        assert base.status_code == 201, base.text
        records = [{"instruction": f"Say {i}", "input": "", "output": str(i)} for i in range(8)]
        dataset = alice.post(
            "/api/datasets",
            params={"filename": "tiny.jsonl"},
            content="".join(json.dumps(r) + "\n" for r in records).encode(),
            headers={"Content-Type": "application/octet-stream"},
        )
        assert dataset.status_code == 201, dataset.text
        job = alice.post(
            "/api/training/jobs",
            json={
                "name": "seen-from-both",
                "base_model_id": base.json()["id"],
                "dataset_id": dataset.json()["id"],
                "preset": "quick-test",
                "hyperparameters": {"max_steps": 2},
                "swanlab": {"mode": "off"},
            },
        )
        assert job.status_code == 201, job.text
        return dict(job.json())


def _follow(server: ServerProcess, token: str, job_id: int, into: list[Event]) -> None:
    with (
        server.client(token) as http,
        http.stream("GET", f"/api/training/jobs/{job_id}/events") as response,
    ):
        for event in iter_events(response):
            into.append(event)
            if event.name == "end":
                return


def test_a_jobs_live_events_are_seen_from_either_process(
    two_servers: Servers, admin_token: str, alice_token: str
) -> None:
    first, second = two_servers
    job = _training_job(first, admin_token, alice_token)
    assert job["status"] == "pending"  # no scheduler runs: it stays waiting
    seen: dict[str, list[Event]] = {"first": [], "second": []}
    followers = [
        threading.Thread(target=_follow, args=(server, alice_token, job["id"], seen[name]))
        for name, server in zip(seen, two_servers, strict=True)
    ]
    for follower in followers:
        follower.start()
    with second.client(alice_token) as alice:  # the job was made through the first process
        cancelled = alice.post(f"/api/training/jobs/{job['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    for follower in followers:
        follower.join(timeout=30)
        assert not follower.is_alive(), "a job's event stream did not end"
    for events in seen.values():
        statuses = [e.data["status"] for e in events if e.name == "job"]
        assert statuses[-1] == "cancelled"
        assert events[-1] == Event("end", {"status": "cancelled"})


def test_a_keys_rate_limit_holds_across_both_processes(
    two_servers: Servers, alice_token: str, model_ids: list[int]
) -> None:
    with two_servers[0].client(alice_token) as alice:
        created = alice.post("/api/api-keys", json={"name": "shared", "rate_limit_per_minute": 3})
    assert created.status_code == 201, created.text
    secret = created.json()["secret"]
    clients = [
        openai.OpenAI(base_url=f"{server.url}/v1", api_key=secret, max_retries=0)
        for server in two_servers
    ]
    for request in range(3):  # first, second, first
        assert clients[request % 2].models.list().data
    for client in clients:
        with pytest.raises(openai.RateLimitError) as refused:
            client.models.list()
        assert refused.value.code == "rate_limit_exceeded"
        assert 0 < int(refused.value.response.headers["Retry-After"]) <= 60


def test_a_key_revoked_through_one_process_is_refused_by_the_other_at_once(
    two_servers: Servers, alice_token: str, model_ids: list[int]
) -> None:
    first, second = two_servers
    with first.client(alice_token) as alice:
        created = alice.post("/api/api-keys", json={"name": "revoked elsewhere"})
    assert created.status_code == 201, created.text
    gpt = openai.OpenAI(base_url=f"{first.url}/v1", api_key=created.json()["secret"])
    assert gpt.models.list().data  # the key is in the first process's read cache now
    with second.client(alice_token) as alice:
        assert alice.post(f"/api/api-keys/{created.json()['id']}/revoke").is_success
    with pytest.raises(openai.AuthenticationError) as refused:  # not after the cache's 5 s
        gpt.with_options(max_retries=0).models.list()
    assert refused.value.code == "api_key_revoked"


def test_with_redis_down_a_stop_is_refused_with_503_and_readiness_says_so(
    two_servers: Servers,
    alice_token: str,
    model_ids: list[int],
    upstream: FakeOpenAI,
    redis_server: RedisServer,
) -> None:
    first, second = two_servers
    # about 3 s a lane: still streaming when the stop arrives, even on a busy machine
    upstream.behaviour.reply, upstream.behaviour.token_delay = "word " * 150, 0.02
    body = {"prompt": "Go", "lanes": [{"model_id": m} for m in model_ids]}
    with (
        first.client(alice_token) as streaming,
        second.client(alice_token) as other,
        streaming.stream("POST", "/api/compare", json=body) as response,
    ):
        events = iter_events(response)
        run_id = next(e.data["run"]["id"] for e in events if e.name == "run")
        redis_server.stop_server()
        try:
            stop = other.post(f"/api/compare/{run_id}/stop")
            ready = other.get("/readyz")
        finally:
            redis_server.start()
        rest = list(events)
    assert stop.status_code == 503 and stop.json()["code"] == "redis_unavailable"
    assert ready.status_code == 503 and ready.json()["code"] == "redis_unavailable"
    lanes = [e.data["lane"]["status"] for e in rest if e.name == "lane_done"]
    assert lanes == ["complete", "complete"], "a refused stop stopped nothing"
