import time

import httpx
import pytest
from sqlalchemy import select

from llmforge.chat.models import ChatMessage, MessageStatus
from llmforge.usage.models import UsageRecord
from tests.conftest import LiveServer
from tests.dify.conftest import register
from tests.fakes.dify import FakeDify
from tests.sse import Event, by_name, collect, iter_events, text_of


def dify_chat(
    client: httpx.Client, dify: FakeDify, app_type: str = "chat", **fields: object
) -> int:
    app = register(client, dify, app_type=app_type, **fields)
    response = client.post(f"/api/dify-apps/{app['id']}/chat-sessions", json={})
    assert response.status_code == 201, response.text
    assert response.json()["model_id"] is None
    return int(response.json()["id"])


def send(client: httpx.Client, chat_id: int, content: str) -> list[Event]:
    return collect(client, f"/api/chat/sessions/{chat_id}/messages", {"content": content})


def done(events: list[Event]) -> dict:  # type: ignore[type-arg]
    return by_name(events, "done")[0]["message"]  # type: ignore[no-any-return]


def usage_rows(server: LiveServer) -> list[UsageRecord]:
    server.call(server.app.state.usage_recorder.flush())

    async def read(session):  # type: ignore[no-untyped-def]
        return list(await session.scalars(select(UsageRecord).order_by(UsageRecord.id)))

    return server.db(read)  # type: ignore[no-any-return]


def test_a_chat_app_streams_and_keeps_its_conversation_across_turns(
    server: LiveServer, alice: httpx.Client, dify: FakeDify
) -> None:
    chat_id = dify_chat(alice, dify)
    dify.behaviour.reply = "Twenty-five days of paid holiday."
    first = send(alice, chat_id, "How many holidays do I get?")
    assert len(by_name(first, "content")) > 1
    assert text_of(first, "content") == "Twenty-five days of paid holiday."
    answer = done(first)
    assert answer["status"] == "complete" and answer["finish_reason"] == "stop"
    assert (answer["input_tokens"], answer["output_tokens"], answer["tokens_estimated"]) == (
        11,
        7,
        False,
    )
    assert (answer["model_name"], answer["provider_name"], answer["model_id"]) == (
        "Helpdesk",
        "dify",
        None,
    )
    sent = dify.requests[-1]
    assert sent.path == "/v1/chat-messages"
    assert sent.body["query"] == "How many holidays do I get?"
    assert sent.body["conversation_id"] == "" and sent.body["response_mode"] == "streaming"
    assert sent.body["user"].startswith("llmforge-user-")
    conversation = next(iter(dify.conversations))
    link = alice.get(f"/api/dify-apps/chat-sessions/{chat_id}").json()
    assert link["conversation_id"] == conversation and link["app_name"] == "Helpdesk"

    second = send(alice, chat_id, "And sick days?")
    assert done(second)["status"] == "complete"
    assert dify.requests[-1].body["conversation_id"] == conversation
    assert dify.conversations == {conversation: ["How many holidays do I get?", "And sick days?"]}
    detail = alice.get(f"/api/chat/sessions/{chat_id}").json()
    assert [m["role"] for m in detail["messages"]] == ["user", "assistant"] * 2

    rows = usage_rows(server)
    assert [(r.provider_name, r.model_name, r.source.value, r.status) for r in rows] == [
        ("dify", "Helpdesk", "chat", "complete")
    ] * 2
    assert (rows[0].input_tokens, rows[0].output_tokens, rows[0].provider_id) == (11, 7, None)
    assert alice.get("/api/dify-apps").json()[0]["last_used_at"] is not None


def test_an_agent_app_shows_its_thoughts_as_reasoning(alice: httpx.Client, dify: FakeDify) -> None:
    dify.mode = "agent-chat"
    dify.behaviour.thoughts = [
        {
            "thought": "I should check the calendar.",
            "tool": "calendar",
            "tool_input": '{"day": "today"}',
            "observation": "Monday",
        }
    ]
    dify.behaviour.reply = "Today is Monday."
    chat_id = dify_chat(alice, dify, app_type="agent")
    events = send(alice, chat_id, "What day is it?")
    reasoning = text_of(events, "reasoning")
    assert reasoning == 'I should check the calendar.\n→ calendar({"day": "today"})\n← Monday'
    assert len(by_name(events, "reasoning")) == 2  # the step, then only its new observation
    assert text_of(events, "content") == "Today is Monday."
    stored = done(events)
    assert stored["reasoning"] == reasoning and stored["content"] == "Today is Monday."


def test_a_chatflow_app_passes_its_workflow_events_by(alice: httpx.Client, dify: FakeDify) -> None:
    dify.mode = "advanced-chat"
    chat_id = dify_chat(alice, dify)
    events = send(alice, chat_id, "Hello")
    assert text_of(events, "content") == "Hello from the fake Dify app."
    assert done(events)["status"] == "complete"


def test_a_failed_chatflow_is_an_error(alice: httpx.Client, dify: FakeDify) -> None:
    dify.mode = "advanced-chat"
    dify.behaviour.workflow_status = "failed"
    chat_id = dify_chat(alice, dify)
    stored = done(send(alice, chat_id, "Hello"))
    assert stored["status"] == "error" and stored["error"]["message"] == "boom"


def test_a_completion_app_gets_the_text_as_its_input(alice: httpx.Client, dify: FakeDify) -> None:
    dify.mode = "completion"
    dify.behaviour.reply = "A haiku about spring."
    chat_id = dify_chat(alice, dify, app_type="completion")
    events = send(alice, chat_id, "Write a haiku")
    assert text_of(events, "content") == "A haiku about spring."
    sent = dify.requests[-1]
    assert sent.path == "/v1/completion-messages"
    assert sent.body["inputs"] == {"query": "Write a haiku"} and "conversation_id" not in sent.body
    assert done(events)["output_tokens"] == 7


@pytest.mark.parametrize("stream_text", [True, False])
def test_a_workflow_answers_with_its_text_output(
    alice: httpx.Client, dify: FakeDify, stream_text: bool
) -> None:
    dify.mode = "workflow"
    dify.behaviour.reply = "Summary: all good."
    dify.behaviour.stream_text = stream_text
    chat_id = dify_chat(alice, dify, app_type="workflow", input_variable="document")
    events = send(alice, chat_id, "Summarise this")
    assert text_of(events, "content") == "Summary: all good."
    assert dify.requests[-1].path == "/v1/workflows/run"
    assert dify.requests[-1].body["inputs"] == {"document": "Summarise this"}
    stored = done(events)
    assert stored["status"] == "complete" and stored["tokens_estimated"] is True


def test_an_error_event_saves_the_answer_as_an_error(
    server: LiveServer, alice: httpx.Client, dify: FakeDify
) -> None:
    dify.behaviour.chunk_size = 4
    dify.behaviour.error_after = 2
    chat_id = dify_chat(alice, dify)
    events = send(alice, chat_id, "Hi")
    [error] = by_name(events, "error")
    assert error["code"] == "upstream_bad_request"
    assert error["message"] == "[openai] Error: The model rejected the request."
    stored = done(events)
    assert stored["status"] == "error" and stored["content"] == "Hello fr"
    assert stored["error"]["code"] == "upstream_bad_request"
    assert [row.status for row in usage_rows(server)] == ["error"]


def test_a_refused_request_is_an_error_with_difys_message(
    alice: httpx.Client, dify: FakeDify
) -> None:
    chat_id = dify_chat(alice, dify)
    dify.behaviour.fail_status, dify.behaviour.fail_times = 500, 2
    stored = done(send(alice, chat_id, "Hi"))
    assert stored["status"] == "error"
    assert stored["error"] == {
        "code": "upstream_server_error",
        "message": "The server encountered an error.",
    }


def test_moderation_replaces_the_answer(alice: httpx.Client, dify: FakeDify) -> None:
    dify.behaviour.replace_with = "Sorry, I cannot answer that."
    chat_id = dify_chat(alice, dify)
    stored = done(send(alice, chat_id, "Hi"))
    assert stored["content"].endswith("\n\nSorry, I cannot answer that.")
    assert stored["finish_reason"] == "content_filter"


def test_stopping_a_stream_calls_difys_stop_endpoint(
    server: LiveServer, alice: httpx.Client, dify: FakeDify
) -> None:
    dify.behaviour.reply = "word " * 200
    dify.behaviour.token_delay = 0.05
    chat_id = dify_chat(alice, dify)
    with alice.stream(
        "POST", f"/api/chat/sessions/{chat_id}/messages", json={"content": "Long story"}
    ) as response:
        contents = 0
        for event in iter_events(response):
            contents += event.name == "content"
            if contents == 3:
                break
    deadline = time.monotonic() + 10
    while not dify.stops and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(dify.stops) == 1
    stop = dify.requests[-1]
    assert stop.path == f"/v1/chat-messages/{dify.stops[0]}/stop"
    assert stop.body["user"].startswith("llmforge-user-")

    def answer_status() -> str:
        async def read(session):  # type: ignore[no-untyped-def]
            return await session.scalar(
                select(ChatMessage.status).where(ChatMessage.role == "assistant")
            )

        return str(server.db(read))

    while answer_status() == MessageStatus.streaming and time.monotonic() < deadline:
        time.sleep(0.05)
    assert answer_status() == MessageStatus.interrupted
    link = alice.get(f"/api/dify-apps/chat-sessions/{chat_id}").json()
    assert link["conversation_id"] in dify.conversations  # kept though the turn was cut short


def test_a_disabled_or_deleted_app_cannot_be_chatted_with(
    alice: httpx.Client, dify: FakeDify
) -> None:
    chat_id = dify_chat(alice, dify)
    app_id = alice.get("/api/dify-apps").json()[0]["id"]
    alice.patch(f"/api/dify-apps/{app_id}", json={"enabled": False})
    refused = send(alice, chat_id, "Hi")
    assert refused[0].data["status"] == 404 and refused[0].data["code"] == "dify_app_not_found"
    assert dify.requests == []


def test_dify_chat_lookups_stay_private(
    alice: httpx.Client, bob: httpx.Client, dify: FakeDify
) -> None:
    chat_id = dify_chat(alice, dify)
    assert bob.get(f"/api/dify-apps/chat-sessions/{chat_id}").status_code == 404
    assert send(bob, chat_id, "Hi")[0].data["status"] == 404
    plain = alice.post("/api/chat/sessions", json={}).json()
    missing = alice.get(f"/api/dify-apps/chat-sessions/{plain['id']}")
    assert missing.status_code == 404 and missing.json()["code"] == "dify_chat_not_found"


def test_the_passages_a_dify_app_answered_from_are_shown_and_stored(
    alice: httpx.Client, dify: FakeDify
) -> None:
    chat_id = dify_chat(alice, dify)
    events = send(alice, chat_id, "How many holidays do I get?")
    [sources] = [event["sources"] for event in by_name(events, "sources")]
    expected = {
        "index": 1,
        "score": 0.91,
        "knowledge_base_id": None,
        "knowledge_base_name": "Handbook",
        "document_id": None,
        "filename": "holidays.md",
        "chunk_index": 0,
        "heading": "",
        "text": "Every employee has 25 days of paid holiday.",
    }
    assert sources == [expected]
    assert done(events)["sources"] == [expected]
    stored = alice.get(f"/api/chat/sessions/{chat_id}").json()["messages"][-1]
    assert stored["sources"] == [expected]

    dify.behaviour.retriever_resources = []
    plain = send(alice, chat_id, "Thanks!")
    assert by_name(plain, "sources") == [] and done(plain)["sources"] is None
