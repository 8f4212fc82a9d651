"""PostgreSQL restarts under a running llmforge: requests made while it is down get a clear
503 at once, and once it is back the next requests work, without restarting llmforge (stale
pooled connections are replaced, a stream in flight saves its answer)."""

import asyncio
import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import openai
import pytest

from llmforge.chat import streaming
from llmforge.settings import Settings
from llmforge.users.models import Role
from tests.chat_fixtures import register_model
from tests.conftest import USER_PASSWORD, LiveServer, login, running
from tests.fakes.openai import FakeOpenAI
from tests.pg import PostgresCluster, start_cluster
from tests.sse import Event, by_name, iter_events

WAITING_FOR_A_LOCK = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
PROMPT = {"name": "greeting", "body": "Hello {{name}}", "variables": [{"name": "name"}]}


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresCluster]:
    """A cluster of this module's own: restarting the suite's shared one would disturb others."""
    cluster = start_cluster()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def app_server(
    cluster: PostgresCluster, tmp_path_factory: pytest.TempPathFactory, web_dist: Path
) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("data-restart")
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=data_dir,
        database_url=cluster.create_database("llmforge"),
        web_dist=web_dist,
        training_in_process_scheduler=False,
    )
    with running(settings, "postgres") as server:
        yield server


@pytest.fixture(scope="module")
def alice(app_server: LiveServer) -> Iterator[httpx.Client]:
    app_server.create_user("alice@example.com")
    with login(app_server, "alice@example.com", USER_PASSWORD) as http:
        yield http


@pytest.fixture(scope="module")
def chat_model(app_server: LiveServer, fake: FakeOpenAI) -> int:
    app_server.create_user("root@example.com", USER_PASSWORD, Role.admin)
    with login(app_server, "root@example.com", USER_PASSWORD) as admin:
        return register_model(
            admin,
            preset="openai-compatible",
            base_url=fake.base_url,
            api_key="sk-chat-test",
            model="fake-chat",
        )


def _busy(alice: httpx.Client, count: int) -> list[int]:
    """`count` requests at once: the pool holds that many connections afterwards."""
    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(lambda _: alice.get("/api/chat/sessions").status_code, range(count)))


def _down_answer(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "database_unavailable"
    assert response.json()["message"]


def test_requests_while_postgres_is_down_get_503_and_work_once_it_is_back(
    app_server: LiveServer, cluster: PostgresCluster, alice: httpx.Client
) -> None:
    assert alice.post("/api/prompts", json=PROMPT).status_code == 201
    assert _busy(alice, 8) == [200] * 8
    secret = alice.post("/api/api-keys", json={"name": "tool"}).json()["secret"]
    unused = alice.post("/api/api-keys", json={"name": "first used while down"}).json()["secret"]
    gpt = openai.OpenAI(base_url=f"{app_server.url}/v1", api_key=secret, max_retries=0)
    assert gpt.models.list().data == []
    first_use = openai.OpenAI(base_url=f"{app_server.url}/v1", api_key=unused, max_retries=0)

    cluster.stop_server()
    try:
        started = time.monotonic()
        _down_answer(httpx.get(f"{app_server.url}/readyz"))
        _down_answer(alice.get("/api/chat/sessions"))
        _down_answer(alice.post("/api/prompts", json={**PROMPT, "name": "while down"}))
        _down_answer(
            alice.post(
                "/api/auth/login", json={"email": "alice@example.com", "password": USER_PASSWORD}
            )
        )
        with pytest.raises(openai.InternalServerError) as refused:
            first_use.models.list()  # not in the read cache: it must be looked up
        assert (refused.value.status_code, refused.value.code) == (503, "database_unavailable")
        assert time.monotonic() - started < 10  # answered, not hung
    finally:
        cluster.start_server()
    assert httpx.get(f"{app_server.url}/readyz").status_code == 200
    assert _busy(alice, 8) == [200] * 8  # every pooled connection was replaced
    names = [p["name"] for p in alice.get("/api/prompts").json()["items"]]
    assert names == ["greeting"]  # nothing half-written while down
    assert alice.post("/api/prompts", json={**PROMPT, "name": "after"}).status_code == 201
    with login(app_server, "alice@example.com", USER_PASSWORD) as again:
        assert again.get("/api/auth/me").status_code == 200
    assert gpt.models.list().data == []


def test_a_query_cut_by_the_shutdown_gets_503(
    cluster: PostgresCluster, alice: httpx.Client
) -> None:
    """The request's connection is open and its query waiting when PostgreSQL goes down."""
    loop = asyncio.new_event_loop()
    holder = loop.run_until_complete(
        asyncpg.connect(host="127.0.0.1", port=cluster.port, user="postgres", database="llmforge")
    )
    try:
        loop.run_until_complete(holder.execute("BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE"))
        with ThreadPoolExecutor(1) as pool:
            waiting = pool.submit(alice.get, "/api/chat/sessions")
            deadline = time.monotonic() + 10
            while not loop.run_until_complete(holder.fetchval(WAITING_FOR_A_LOCK)):
                assert time.monotonic() < deadline, "the request never reached the database"
                time.sleep(0.02)
            cluster.stop_server()
            try:
                _down_answer(waiting.result(timeout=10))
            finally:
                cluster.start_server()
        assert alice.get("/api/chat/sessions").status_code == 200
    finally:
        loop.run_until_complete(holder.close(timeout=1))
        loop.close()


def test_a_stream_in_flight_across_a_restart_saves_its_answer(
    app_server: LiveServer,
    cluster: PostgresCluster,
    alice: httpx.Client,
    chat_model: int,
    fake: FakeOpenAI,
) -> None:
    chat_id = alice.post("/api/chat/sessions", json={"model_id": chat_model}).json()["id"]
    fake.behaviour.reply, fake.behaviour.chunk_size = "word " * 30, 5
    # 30 pieces, 1.5 s: PostgreSQL restarts in a quarter of that, while the answer streams
    fake.behaviour.token_delay = 0.05
    with alice.stream(
        "POST", f"/api/chat/sessions/{chat_id}/messages", json={"content": "Go"}
    ) as response:
        events = iter_events(response)
        next(event for event in events if event.name == "content")
        cluster.restart()
        rest = list(events)
    assert [event.name for event in rest][-1] == "done"
    saved = by_name(rest, "done")[0]["message"]
    assert saved["status"] == "complete" and saved["content"] == fake.behaviour.reply
    messages = alice.get(f"/api/chat/sessions/{chat_id}").json()["messages"]
    assert [(m["role"], m["status"]) for m in messages] == [
        ("user", "complete"),
        ("assistant", "complete"),
    ]


def _stream_across_an_outage(
    alice: httpx.Client,
    cluster: PostgresCluster,
    path: str,
    body: dict[str, Any],
    read_while_down: Callable[[Iterator[Event]], list[Event]],
) -> list[Event]:
    """POST a streamed answer; once it streams, stop PostgreSQL, `read_while_down(events)`,
    start it again; return the events after the first piece of the answer."""
    with alice.stream("POST", path, json=body) as response:
        events = iter_events(response)
        next(event for event in events if event.name == "content")
        cluster.stop_server()
        try:
            while_down = read_while_down(events)
        finally:
            cluster.start_server()
        return while_down + list(events)


def _chat_across_an_outage(
    alice: httpx.Client,
    cluster: PostgresCluster,
    chat_id: int,
    read_while_down: Callable[[Iterator[Event]], list[Event]],
) -> list[Event]:
    path = f"/api/chat/sessions/{chat_id}/messages"
    return _stream_across_an_outage(alice, cluster, path, {"content": "Go"}, read_while_down)


def _until_a_save_was_retried(
    caplog: pytest.LogCaptureFixture,
) -> Callable[[Iterator[Event]], list[Event]]:
    """Reads nothing while the database is down: waits until a save was tried and failed."""
    caplog.set_level(logging.WARNING, logger="llmforge.db")

    def wait(_: Iterator[Event]) -> list[Event]:
        deadline = time.monotonic() + 10
        while "database unreachable; trying again" not in caplog.text:
            assert time.monotonic() < deadline, "no save was tried while it was down"
            time.sleep(0.02)
        return []

    return wait


def test_an_answer_that_ends_while_postgres_is_down_is_saved_once_it_is_back(
    cluster: PostgresCluster,
    alice: httpx.Client,
    chat_model: int,
    fake: FakeOpenAI,
    caplog: pytest.LogCaptureFixture,
) -> None:
    chat_id = alice.post("/api/chat/sessions", json={"model_id": chat_model}).json()["id"]
    fake.behaviour.reply, fake.behaviour.token_delay = "word " * 6, 0.02
    rest = _chat_across_an_outage(alice, cluster, chat_id, _until_a_save_was_retried(caplog))
    saved = by_name(rest, "done")[0]["message"]
    assert saved["status"] == "complete" and saved["content"] == fake.behaviour.reply
    answer = alice.get(f"/api/chat/sessions/{chat_id}").json()["messages"][-1]
    assert (answer["status"], answer["content"]) == ("complete", fake.behaviour.reply)


def test_an_answer_that_cannot_be_saved_ends_with_a_clear_error(
    cluster: PostgresCluster,
    alice: httpx.Client,
    chat_model: int,
    fake: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(streaming, "ANSWER_SAVE_WINDOW_SECONDS", 0.2)
    chat_id = alice.post("/api/chat/sessions", json={"model_id": chat_model}).json()["id"]
    fake.behaviour.reply, fake.behaviour.token_delay = "word " * 6, 0.02
    rest = _chat_across_an_outage(alice, cluster, chat_id, list)  # to its end while down
    assert [event.name for event in rest][-1] == "error"
    assert rest[-1].data["code"] == "database_unavailable" and rest[-1].data["message"]
    assert not by_name(rest, "done")


def test_comparison_lanes_that_end_while_postgres_is_down_are_saved_once_it_is_back(
    cluster: PostgresCluster,
    alice: httpx.Client,
    chat_model: int,
    fake: FakeOpenAI,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake.behaviour.reply, fake.behaviour.token_delay = "word " * 6, 0.02
    body = {"prompt": "Go", "lanes": [{"model_id": chat_model}, {"model_id": chat_model}]}
    rest = _stream_across_an_outage(
        alice, cluster, "/api/compare", body, _until_a_save_was_retried(caplog)
    )
    saved = [done["lane"]["status"] for done in by_name(rest, "lane_done")]
    assert saved == ["complete", "complete"]
    run = by_name(rest, "done")[0]["run"]
    stored = alice.get(f"/api/compare/{run['id']}").json()
    assert [lane["content"] for lane in stored["lanes"]] == [fake.behaviour.reply] * 2
