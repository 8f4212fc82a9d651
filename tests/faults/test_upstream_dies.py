"""The upstream drops its connection in the middle of a streamed answer.

tests/chat/test_chat_streaming.py already checks the chat stream's `error` and `done` events;
here: what the API keeps afterwards, and the gateway's stream as an OpenAI client sees it."""

import json
from typing import Any

import httpx
import openai
import pytest
from sqlalchemy import select

from llmforge.usage.models import UsageRecord
from tests.conftest import LiveServer
from tests.fakes.openai import FakeOpenAI
from tests.gateway.conftest import CHAT, usage_rows
from tests.sse import by_name, collect, text_of

REPLY = "one two three four five six seven eight"


def _usage_statuses(server: LiveServer) -> list[tuple[str, str, int]]:
    rows = server.db(
        lambda session: session.execute(
            select(UsageRecord.source, UsageRecord.status, UsageRecord.output_tokens).order_by(
                UsageRecord.id
            )
        )
    )
    return [(source.value, status, tokens) for source, status, tokens in rows]


def test_a_cut_chat_stream_is_stored_as_an_error_with_what_arrived(
    server: LiveServer, alice: httpx.Client, chat_id: int, fake: FakeOpenAI
) -> None:
    fake.behaviour.reply, fake.behaviour.disconnect_after = REPLY, 4
    events = collect(alice, f"/api/chat/sessions/{chat_id}/messages", {"content": "Count"})
    received = text_of(events, "content")
    assert received and REPLY.startswith(received) and received != REPLY
    names = [event.name for event in events]
    assert names.count("error") == 1 and names[-1] == "done"

    messages = alice.get(f"/api/chat/sessions/{chat_id}").json()["messages"]
    assert [(m["role"], m["status"]) for m in messages] == [
        ("user", "complete"),
        ("assistant", "error"),
    ]
    answer = messages[-1]
    assert answer["content"] == received
    assert answer["error"]["code"] == by_name(events, "error")[0]["code"]
    assert answer["error"]["message"]
    assert answer["output_tokens"] and answer["tokens_estimated"] is True

    usage_rows(alice, 1)
    assert _usage_statuses(server) == [("chat", "error", answer["output_tokens"])]
    # the chat goes on
    fake.behaviour.disconnect_after = None
    done = by_name(
        collect(alice, f"/api/chat/sessions/{chat_id}/messages", {"content": "Again"}), "done"
    )
    assert done[0]["message"]["status"] == "complete" and done[0]["message"]["content"] == REPLY


def test_a_cut_gateway_stream_raises_in_the_sdk_and_is_metered_once(
    server: LiveServer, alice: httpx.Client, gpt: openai.OpenAI, fake: FakeOpenAI
) -> None:
    fake.behaviour.reply, fake.behaviour.disconnect_after = REPLY, 4
    received: list[str] = []
    stream = gpt.chat.completions.create(
        model=CHAT,
        messages=[{"role": "user", "content": "Count"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    with pytest.raises(openai.APIError) as failed:
        for chunk in stream:
            received += [c.delta.content or "" for c in chunk.choices]
    text = "".join(received)
    assert text and REPLY.startswith(text) and text != REPLY
    assert failed.value.code is not None and failed.value.code.startswith("upstream_")
    assert failed.value.message and isinstance(failed.value.body, dict)
    assert failed.value.body["type"] == "api_error"

    usage = usage_rows(alice, 1)
    assert usage["totals"]["calls"] == 1
    rows = _usage_statuses(server)
    assert [(source, status) for source, status, _ in rows] == [("gateway", "error")]
    assert rows[0][2] > 0  # the words that arrived are counted

    fake.behaviour.disconnect_after = None
    again = gpt.chat.completions.create(model=CHAT, messages=[{"role": "user", "content": "Hi"}])
    assert again.choices[0].message.content == REPLY


def test_the_raw_gateway_stream_ends_with_an_error_line_and_no_finish(
    server: LiveServer, gpt: openai.OpenAI, fake: FakeOpenAI
) -> None:
    fake.behaviour.reply, fake.behaviour.disconnect_after = REPLY, 3
    body = {"model": CHAT, "messages": [{"role": "user", "content": "Hi"}], "stream": True}
    headers = {"Authorization": f"Bearer {gpt.api_key}"}
    with httpx.stream(
        "POST", f"{server.url}/v1/chat/completions", json=body, headers=headers
    ) as response:
        assert response.status_code == 200
        lines = [line for line in response.iter_lines() if line]
    assert lines[-1] == "data: [DONE]"
    payloads: list[dict[str, Any]] = [json.loads(line[len("data: ") :]) for line in lines[:-1]]
    assert payloads[-1]["error"]["code"].startswith("upstream_")
    finishes = [choice["finish_reason"] for p in payloads[:-1] for choice in p["choices"]]
    assert finishes and set(finishes) == {None}  # a cut answer is not presented as finished
