"""What a turn does before its first token: a model already used is not looked up again, and
the session's row is written once; a change to the model holds from the next turn on."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event

from tests.conftest import LiveServer
from tests.sse import by_name, collect

CATALOGUE_AND_LIMITS = {"models", "providers", "user_quotas", "app_settings"}


@contextmanager
def statements_sent(server: LiveServer) -> Iterator[list[str]]:
    sent: list[str] = []

    def remember(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(" ".join(statement.split()))

    engine = server.app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", remember)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", remember)


def _read_tables(statements: list[str]) -> set[str]:
    return {
        table
        for statement in statements
        if statement.upper().startswith("SELECT")
        for table in re.findall(r"(?:FROM|JOIN) (\w+)", statement)
    }


def send(alice: httpx.Client, chat_id: int, content: str) -> list:  # type: ignore[type-arg]
    return collect(alice, f"/api/chat/sessions/{chat_id}/messages", {"content": content})


def test_a_model_already_used_is_not_looked_up_again(
    server: LiveServer, alice: httpx.Client, chat_id: int
) -> None:
    with statements_sent(server) as first:
        assert by_name(send(alice, chat_id, "Hello"), "done")
    assert CATALOGUE_AND_LIMITS & _read_tables(first)  # the first turn did read them

    with statements_sent(server) as second:
        answer = by_name(send(alice, chat_id, "And again"), "done")[0]["message"]
    assert not CATALOGUE_AND_LIMITS & _read_tables(second), second
    assert "chat_messages" in _read_tables(second)  # the history is still read each turn
    session_updates = [s for s in second if s.upper().startswith("UPDATE CHAT_SESSIONS")]
    assert len(session_updates) == 1, second  # title, time and active answer at once
    detail = alice.get(f"/api/chat/sessions/{chat_id}").json()
    assert detail["title"] == "Hello"
    assert [m["id"] for m in detail["messages"]][-1] == answer["id"]  # the branch shown ends there


def test_a_disabled_model_is_refused_from_the_next_turn_on(
    admin: httpx.Client, alice: httpx.Client, chat_id: int, chat_model: int
) -> None:
    assert by_name(send(alice, chat_id, "Hello"), "done")
    assert admin.patch(f"/api/models/{chat_model}", json={"enabled": False}).status_code == 200
    refused = send(alice, chat_id, "Still there?")
    assert refused[0].data["code"] == "model_not_found"
    assert admin.patch(f"/api/models/{chat_model}", json={"enabled": True}).status_code == 200
    assert by_name(send(alice, chat_id, "Back?"), "done")
