import threading
import time
from decimal import Decimal

import httpx
import pytest

from llmforge.chat.models import ChatMessage, MessageStatus
from llmforge.chat.service import mark_abandoned_streams
from tests.chat_fixtures import register_model
from tests.conftest import LiveServer
from tests.fakes.anthropic import FakeAnthropic
from tests.fakes.gemini import FakeGemini
from tests.fakes.ollama import FakeOllama
from tests.fakes.openai import FakeOpenAI
from tests.sse import by_name, collect, iter_events, text_of


def send(alice: httpx.Client, chat_id: int, content: str, **extra: object) -> list:  # type: ignore[type-arg]
    return collect(alice, f"/api/chat/sessions/{chat_id}/messages", {"content": content, **extra})


def test_a_streamed_answer_is_stored_once_with_its_metrics(
    alice: httpx.Client, chat_id: int, fake: FakeOpenAI
) -> None:
    fake.behaviour.reply = "Hello there, how can I help?"
    events = send(alice, chat_id, "  Hi! What can you do for me today?  ")
    names = [event.name for event in events]
    assert names[0] == "message" and names[-1] == "done" and "usage" in names
    assert text_of(events, "content") == "Hello there, how can I help?"
    assert len(by_name(events, "content")) > 1  # streamed in pieces, not at once

    done = by_name(events, "done")[0]["message"]
    assert done["status"] == "complete" and done["finish_reason"] == "stop"
    assert (done["input_tokens"], done["output_tokens"], done["tokens_estimated"]) == (11, 7, False)
    assert Decimal(done["cost"]) == (Decimal(11) * 2 + Decimal(7) * 10) / 1_000_000
    assert done["ttft_ms"] is not None and done["latency_ms"] >= done["ttft_ms"]
    assert done["model_name"] == "fake-chat" and done["provider_name"]

    detail = alice.get(f"/api/chat/sessions/{chat_id}").json()
    assert detail["title"] == "Hi! What can you do for me today?"
    assert [(m["role"], m["status"]) for m in detail["messages"]] == [
        ("user", "complete"),
        ("assistant", "complete"),
    ]
    assert fake.requests[-1].body["messages"][-1] == {
        "role": "user",
        "content": "Hi! What can you do for me today?",
    }


def test_think_tags_split_across_chunks_become_reasoning(
    alice: httpx.Client, chat_id: int, fake: FakeOpenAI
) -> None:
    fake.behaviour.reply = "<think>Let me weigh this.</think>The answer is 42."
    fake.behaviour.chunk_size = 1
    events = send(alice, chat_id, "Meaning of life?")
    assert text_of(events, "reasoning") == "Let me weigh this."
    assert text_of(events, "content") == "The answer is 42."
    stored = by_name(events, "done")[0]["message"]
    assert stored["reasoning"] == "Let me weigh this." and stored["content"] == "The answer is 42."
    assert stored["reasoning_ms"] is not None


def test_reasoning_content_field(alice: httpx.Client, chat_id: int, fake: FakeOpenAI) -> None:
    fake.behaviour.reasoning = "Thinking hard."
    fake.behaviour.reply = "Done."
    events = send(alice, chat_id, "Think first")
    assert (
        text_of(events, "reasoning") == "Thinking hard." and text_of(events, "content") == "Done."
    )


@pytest.mark.parametrize(
    ("fake_class", "preset", "key"),
    [
        (FakeAnthropic, "anthropic", "sk-ant-x"),
        (FakeOllama, "ollama", None),
        (FakeGemini, "gemini", "AIza-x"),
    ],
)
def test_every_protocol_streams(
    admin: httpx.Client, alice: httpx.Client, fake_class: type, preset: str, key: str | None
) -> None:
    with fake_class(api_key=key) as upstream:
        upstream.behaviour.models = ["proto-model"]
        upstream.behaviour.reply = f"Answer over {preset}."
        upstream.behaviour.reasoning = "Some thoughts."
        model_id = register_model(
            admin, preset=preset, base_url=upstream.base_url, api_key=key, model="proto-model"
        )
        chat = alice.post("/api/chat/sessions", json={"model_id": model_id}).json()
        events = send(alice, chat["id"], "Hello")
        assert text_of(events, "content") == f"Answer over {preset}."
        assert text_of(events, "reasoning") == "Some thoughts."
        assert by_name(events, "done")[0]["message"]["status"] == "complete"


def test_stopping_saves_the_partial_answer_and_closes_upstream(
    alice: httpx.Client, chat_id: int, fake: FakeOpenAI
) -> None:
    fake.behaviour.reply = "word " * 200
    fake.behaviour.token_delay = 0.03
    received = ""
    with alice.stream(
        "POST", f"/api/chat/sessions/{chat_id}/messages", json={"content": "Go"}
    ) as response:
        for event in iter_events(response):
            if event.name == "content":
                received += event.data["text"]
                if len(received) >= 20:
                    break  # the browser's Stop: the connection closes
    assert fake.wait_for_disconnect(timeout=10), "the upstream request was not closed"
    answer = wait_for_answer(alice, chat_id, lambda m: m["status"] != "streaming")
    assert answer["status"] == "interrupted" and answer["finish_reason"] == "cancelled"
    assert answer["content"].startswith(received) and len(answer["content"]) < len(
        fake.behaviour.reply
    )
    assert answer["output_tokens"] and answer["tokens_estimated"] is True


def wait_for_answer(alice: httpx.Client, chat_id: int, ready: object) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        answer = alice.get(f"/api/chat/sessions/{chat_id}").json()["messages"][-1]
        if ready(answer):  # type: ignore[operator]
            return answer  # type: ignore[no-any-return]
        time.sleep(0.05)
    raise AssertionError("the answer was not saved")


def test_upstream_failure_mid_stream_keeps_what_arrived(
    alice: httpx.Client, chat_id: int, fake: FakeOpenAI
) -> None:
    fake.behaviour.reply = "one two three four five six seven"
    fake.behaviour.disconnect_after = 3
    events = send(alice, chat_id, "Count")
    errors = by_name(events, "error")
    assert len(errors) == 1 and errors[0]["code"].startswith("upstream_")
    stored = by_name(events, "done")[0]["message"]
    assert stored["status"] == "error" and stored["error"]["code"] == errors[0]["code"]
    assert stored["content"] == text_of(events, "content") and stored["content"]


def test_upstream_error_before_any_token(
    alice: httpx.Client, chat_id: int, fake: FakeOpenAI
) -> None:
    fake.behaviour.fail_status = 401
    events = send(alice, chat_id, "Hi")
    assert by_name(events, "error")[0]["code"] == "upstream_authentication_failed"
    stored = by_name(events, "done")[0]["message"]
    assert stored["status"] == "error" and stored["content"] == ""
    assert "sk-chat-test" not in str(events)


def test_regenerate_and_edit_keep_variants(
    alice: httpx.Client, chat_id: int, fake: FakeOpenAI
) -> None:
    fake.behaviour.reply = "First answer."
    first = by_name(send(alice, chat_id, "Question one"), "done")[0]["message"]
    fake.behaviour.reply = "Second answer."
    regenerated = collect(alice, f"/api/chat/messages/{first['id']}/regenerate", {})
    second = by_name(regenerated, "done")[0]["message"]
    assert second["variant_ids"] == [first["id"], second["id"]]

    branch = alice.get(f"/api/chat/sessions/{chat_id}").json()["messages"]
    assert [m["content"] for m in branch] == ["Question one", "Second answer."]
    switched = alice.post(
        f"/api/chat/sessions/{chat_id}/switch", json={"message_id": first["id"]}
    ).json()
    assert switched["messages"][-1]["content"] == "First answer."

    question = switched["messages"][0]
    fake.behaviour.reply = "Answer to the edit."
    edited = collect(
        alice, f"/api/chat/messages/{question['id']}/edit", {"content": "Question one, edited"}
    )
    new_question = by_name(edited, "message")[0]["user_message"]
    assert new_question["variant_ids"] == [question["id"], new_question["id"]]
    branch = alice.get(f"/api/chat/sessions/{chat_id}").json()["messages"]
    assert [m["content"] for m in branch] == ["Question one, edited", "Answer to the edit."]
    assert fake.requests[-1].body["messages"][-1]["content"] == "Question one, edited"

    back = alice.post(
        f"/api/chat/sessions/{chat_id}/switch", json={"message_id": question["id"]}
    ).json()
    assert back["messages"][0]["content"] == "Question one"

    assert (
        collect(alice, f"/api/chat/messages/{question['id']}/regenerate", {})[0].data["code"]
        == "not_an_answer"
    )
    assert (
        collect(alice, f"/api/chat/messages/{first['id']}/edit", {"content": "x"})[0].data["code"]
        == "not_a_user_message"
    )


def test_history_is_sent_and_trimmed_to_the_context(
    admin: httpx.Client, alice: httpx.Client, chat_model: int, chat_id: int, fake: FakeOpenAI
) -> None:
    admin.patch(
        f"/api/models/{chat_model}", json={"context_length": 300, "parameters": {"max_tokens": 50}}
    )
    alice.patch(f"/api/chat/sessions/{chat_id}", json={"system_prompt": "Be brief."})
    fake.behaviour.reply = "ok"
    for index in range(4):
        events = send(alice, chat_id, f"message {index} " + "lorem ipsum " * 30)
    sent = fake.requests[-1].body["messages"]
    assert sent[0] == {"role": "system", "content": "Be brief."}
    assert sent[-1]["content"].startswith("message 3")
    assert len(sent) < 1 + 4 * 2 - 1
    omitted = by_name(events, "context")[0]["omitted_messages"]
    assert omitted == 4 * 2 - 1 - (len(sent) - 1)
    assert by_name(events, "done")[0]["message"]["omitted_messages"] == omitted

    before = len(alice.get(f"/api/chat/sessions/{chat_id}").json()["messages"])
    too_long = send(alice, chat_id, "word " * 2000)
    assert too_long[0].data["status"] == 422 and too_long[0].data["code"] == "context_overflow"
    assert len(alice.get(f"/api/chat/sessions/{chat_id}").json()["messages"]) == before


def test_stop_during_a_slow_first_byte(alice: httpx.Client, chat_id: int, fake: FakeOpenAI) -> None:
    fake.behaviour.first_byte_delay = 5

    def give_up() -> None:
        with alice.stream(
            "POST", f"/api/chat/sessions/{chat_id}/messages", json={"content": "Hi"}
        ) as response:
            for event in iter_events(response):
                if event.name == "message":
                    return

    worker = threading.Thread(target=give_up)
    worker.start()
    worker.join(timeout=10)
    answer = wait_for_answer(
        alice, chat_id, lambda m: m["role"] == "assistant" and m["status"] != "streaming"
    )
    assert answer["status"] == "interrupted" and answer["content"] == ""


def test_abandoned_streams_are_marked_at_start_up(
    server: LiveServer, alice: httpx.Client, chat_id: int
) -> None:
    async def add_streaming(session):  # type: ignore[no-untyped-def]
        session.add(
            ChatMessage(
                session_id=chat_id, role="assistant", status=MessageStatus.streaming, content="half"
            )
        )

    server.db(add_streaming)
    assert server.db(mark_abandoned_streams) == 1
    assert server.db(mark_abandoned_streams) == 0
