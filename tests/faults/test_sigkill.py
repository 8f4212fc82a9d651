"""`kill -9` of the server in the middle of a chat answer: after a restart on the same
PostgreSQL database every finished message is there, the cut answer is marked interrupted,
and the chat goes on."""

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from tests.chat_fixtures import register_model
from tests.fakes.openai import FakeOpenAI
from tests.pg import PostgresCluster, free_port
from tests.scaleout.conftest import ServerProcess, sign_in, start_server_process
from tests.sse import by_name, collect, iter_events

ADMIN_EMAIL, ADMIN_PASSWORD = "admin@example.com", "sigkill admin password"
ALICE_EMAIL, ALICE_PASSWORD = "alice@example.com", "sigkill alice password"


@pytest.fixture
def environment(postgres: PostgresCluster, tmp_path: Path) -> dict[str, str]:
    web = tmp_path / "web"
    web.mkdir()
    (web / "index.html").write_text("<!doctype html><title>llmforge</title>")
    return {
        **os.environ,
        "LLMFORGE_DATA_DIR": str(tmp_path / "data"),
        "LLMFORGE_DATABASE_URL": postgres.create_database(f"llmforge_sigkill_{free_port()}"),
        "LLMFORGE_SECRET_KEY": "sigkill-test-signing-key-" + "x" * 32,
        "LLMFORGE_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "LLMFORGE_WEB_DIST": str(web),
        "LLMFORGE_ADMIN_EMAIL": ADMIN_EMAIL,
        "LLMFORGE_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "LLMFORGE_TRAINING_IN_PROCESS_SCHEDULER": "false",
    }


@pytest.fixture
def first_server(environment: dict[str, str], tmp_path: Path) -> Iterator[ServerProcess]:
    server = start_server_process(environment, tmp_path)
    yield server
    if server.process.poll() is None:
        server.stop()


def _turn(alice: httpx.Client, chat_id: int, content: str) -> dict[str, Any]:
    events = collect(alice, f"/api/chat/sessions/{chat_id}/messages", {"content": content})
    answer: dict[str, Any] = by_name(events, "done")[0]["message"]
    return answer


def _sign_up_alice(server: ServerProcess) -> httpx.Client:
    registered = server.client().post(
        "/api/auth/register", json={"email": ALICE_EMAIL, "password": ALICE_PASSWORD}
    )
    assert registered.status_code == 201, registered.text
    return server.client(sign_in(server, ALICE_EMAIL, ALICE_PASSWORD))


def test_finished_messages_survive_a_sigkill_mid_answer(
    first_server: ServerProcess,
    environment: dict[str, str],
    tmp_path: Path,
    fake: FakeOpenAI,
) -> None:
    with first_server.client(sign_in(first_server, ADMIN_EMAIL, ADMIN_PASSWORD)) as admin:
        model_id = register_model(
            admin,
            preset="openai-compatible",
            base_url=fake.base_url,
            api_key="sk-chat-test",
            model="fake-chat",
        )
    alice = _sign_up_alice(first_server)
    chat_id = alice.post("/api/chat/sessions", json={"model_id": model_id}).json()["id"]
    finished = []
    for index in range(3):
        fake.behaviour.reply = f"Answer number {index}."
        answer = _turn(alice, chat_id, f"Question number {index}?")
        assert answer["status"] == "complete"
        finished += [f"Question number {index}?", f"Answer number {index}."]

    fake.behaviour.reply, fake.behaviour.token_delay = "word " * 200, 0.05  # ten seconds
    with alice.stream(
        "POST", f"/api/chat/sessions/{chat_id}/messages", json={"content": "A long one, please."}
    ) as response:
        next(event for event in iter_events(response) if event.name == "content")
        os.kill(first_server.process.pid, signal.SIGKILL)
        assert first_server.process.wait(timeout=10) == -signal.SIGKILL
    assert fake.wait_for_disconnect(10)  # the upstream request died with the server

    second = start_server_process(environment, tmp_path)
    try:
        alice = second.client(sign_in(second, ALICE_EMAIL, ALICE_PASSWORD))
        messages = alice.get(f"/api/chat/sessions/{chat_id}").json()["messages"]
        assert [m["content"] for m in messages[:-1]] == [*finished, "A long one, please."]
        assert {m["status"] for m in messages[:-1]} == {"complete"}
        assert [m["role"] for m in messages] == ["user", "assistant"] * 4
        cut = messages[-1]
        assert (cut["status"], cut["finish_reason"]) == ("interrupted", "server_restart")

        fake.behaviour.reply, fake.behaviour.token_delay = "Going on.", 0
        assert _turn(alice, chat_id, "Shall we go on?")["status"] == "complete"
        sent = [m["content"] for m in fake.requests[-1].body["messages"]]
        assert sent == [*finished, "A long one, please.", "Shall we go on?"]
        listed = alice.get("/api/chat/sessions").json()
        assert [chat["id"] for chat in listed] == [chat_id]
    finally:
        second.stop()
