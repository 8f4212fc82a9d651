"""A chat turn calls the model while it stores the question, so the model's wait for its first
token and the turn's writes overlap; a turn whose writes fail closes that call.

PostgreSQL only: a row lock taken by the test holds the turn's writes back, which SQLite (one
writer for the whole file) cannot do for one row."""

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.conftest import LiveServer
from tests.fakes.openai import FakeOpenAI
from tests.sse import Event, by_name, collect

pytestmark = pytest.mark.parametrize("live_server", ["postgres"], indirect=True)


async def _lock_row(server: LiveServer, chat_id: int) -> AsyncConnection:
    connection = await server.app.state.engine.connect()
    await connection.begin()
    await connection.execute(
        text("SELECT id FROM chat_sessions WHERE id = :id FOR UPDATE"), {"id": chat_id}
    )
    return connection


async def _end(connection: AsyncConnection, statement: str | None, chat_id: int) -> None:
    if statement is not None:
        await connection.execute(text(statement), {"id": chat_id})
        await connection.commit()
    await connection.close()


def _eventually(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _send_while_locked(
    server: LiveServer, alice: httpx.Client, chat_id: int, fake: FakeOpenAI, then: str | None
) -> tuple[bool, bool, Future[list[Event]]]:
    """Send a message while the session's row is locked; `then` runs in the lock's transaction
    before it ends. Whether the model was called, and whether the turn was still waiting."""
    locked = server.call(_lock_row(server, chat_id))
    with ThreadPoolExecutor(1) as pool:
        sent = pool.submit(
            collect, alice, f"/api/chat/sessions/{chat_id}/messages", {"content": "Hello"}
        )
        called = _eventually(
            lambda: any(r.path.endswith("/chat/completions") for r in fake.requests)
        )
        waiting = not sent.done()
        server.call(_end(locked, then, chat_id))
        sent.result(timeout=30)
    return called, waiting, sent


def test_the_model_is_called_while_the_question_is_stored(
    server: LiveServer, alice: httpx.Client, chat_id: int, fake: FakeOpenAI
) -> None:
    fake.behaviour.reply = "Hello there"
    called, waiting, sent = _send_while_locked(server, alice, chat_id, fake, then=None)
    assert called, "the model was called only after the question was stored"
    assert waiting  # the turn's writes were still held back by the lock
    done = by_name(sent.result(), "done")[0]["message"]
    assert done["status"] == "complete" and done["content"] == "Hello there"
    assert done["ttft_ms"] is not None
    messages = alice.get(f"/api/chat/sessions/{chat_id}").json()["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant"]


def test_a_turn_that_cannot_be_stored_closes_its_call(
    server: LiveServer, alice: httpx.Client, chat_id: int, fake: FakeOpenAI
) -> None:
    fake.behaviour.reply = "word " * 200
    fake.behaviour.token_delay = 0.05
    called, waiting, sent = _send_while_locked(
        server, alice, chat_id, fake, then="DELETE FROM chat_sessions WHERE id = :id"
    )
    assert called and waiting
    refused = sent.result()
    assert [event.name for event in refused] == ["http"] and refused[0].data["status"] >= 400
    assert fake.wait_for_disconnect(timeout=10), "the model's call was left running"
    assert alice.get(f"/api/chat/sessions/{chat_id}").status_code == 404
