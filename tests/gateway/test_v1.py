"""The OpenAI-compatible endpoints, driven by the official `openai` SDK."""

import json
import time
from typing import Any

import httpx
import openai
import pytest
from sqlalchemy import select

from llmforge.usage.models import UsageRecord
from tests.conftest import LiveServer
from tests.fakes.dify import FakeDify
from tests.fakes.openai import FakeOpenAI
from tests.fakes.server import fake_vector
from tests.gateway.conftest import CHAT, DIFY_KEY, EMBED, usage_rows


def test_models_and_a_chat_completion_with_reasoning_and_usage(
    server: LiveServer, alice: httpx.Client, gpt: openai.OpenAI, fake: FakeOpenAI
) -> None:
    models = gpt.models.list()
    assert [(m.id, m.object, m.owned_by) for m in models.data] == [
        (CHAT, "model", "openai-compatible-fake-chat"),
        (EMBED, "model", "openai-compatible-fake-embed"),
    ]
    assert all(m.created > 1_700_000_000 for m in models.data)

    fake.behaviour.reasoning = "Think first."
    answer = gpt.chat.completions.create(
        model=CHAT,
        messages=[
            {"role": "developer", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "Hi"}]},
        ],
        temperature=0.3,
        max_completion_tokens=50,
        stop="END",
    )
    assert answer.object == "chat.completion" and answer.model == CHAT
    assert answer.id.startswith("chatcmpl-")
    choice = answer.choices[0]
    assert choice.message.content == "Hello from the fake provider."
    assert choice.message.model_extra == {"reasoning_content": "Think first."}
    assert choice.finish_reason == "stop"
    assert answer.usage is not None
    assert (answer.usage.prompt_tokens, answer.usage.completion_tokens) == (11, 7)

    sent = fake.requests[-1]
    assert sent.headers["authorization"] == "Bearer sk-chat-test"
    assert sent.body["model"] == "fake-chat" and sent.body["temperature"] == 0.3
    assert sent.body["max_tokens"] == 50 and sent.body["stop"] == ["END"]
    assert sent.body["messages"][0] == {"role": "system", "content": "Be brief."}

    usage = usage_rows(alice, 1)
    assert (usage["totals"]["input_tokens"], usage["totals"]["output_tokens"]) == (11, 7)
    sources = server.db(lambda session: session.scalars(select(UsageRecord.source)))
    assert [source.value for source in sources] == ["gateway"]
    assert alice.get("/api/api-keys").json()[0]["last_used_at"] is not None

    by_bare_id = gpt.chat.completions.create(
        model="fake-chat", messages=[{"role": "user", "content": "Hi"}]
    )
    assert by_bare_id.model == CHAT


def test_streaming_sends_reasoning_content_and_usage_last(
    server: LiveServer, alice: httpx.Client, gpt: openai.OpenAI, fake: FakeOpenAI
) -> None:
    fake.behaviour.reasoning = "Let me think."
    stream = gpt.chat.completions.create(
        model=CHAT,
        messages=[{"role": "user", "content": "Hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert all(c.object == "chat.completion.chunk" and c.model == CHAT for c in chunks)
    deltas = [c.choices[0].delta for c in chunks if c.choices]
    assert deltas[0].role == "assistant"
    reasoning = "".join((d.model_extra or {}).get("reasoning_content", "") for d in deltas)
    assert reasoning == "Let me think."
    assert "".join(d.content or "" for d in deltas) == "Hello from the fake provider."
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert (chunks[-1].usage.prompt_tokens, chunks[-1].usage.completion_tokens) == (11, 7)
    assert usage_rows(alice, 1)["totals"]["output_tokens"] == 7

    body = {"model": CHAT, "messages": [{"role": "user", "content": "Hi"}], "stream": True}
    headers = {"Authorization": f"Bearer {gpt.api_key}"}
    with httpx.stream(
        "POST", f"{server.url}/v1/chat/completions", json=body, headers=headers
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in response.iter_lines() if line]
    assert lines[-1] == "data: [DONE]"
    payloads = [json.loads(line.removeprefix("data: ")) for line in lines[:-1]]
    assert all("usage" not in p and len(p["choices"]) == 1 for p in payloads)  # not asked for

    fake.behaviour.reply, fake.behaviour.token_delay = "word " * 200, 0.02
    with httpx.stream(
        "POST", f"{server.url}/v1/chat/completions", json=body, headers=headers
    ) as response:
        next(line for line in response.iter_lines() if '"content":"word' in line)
    assert fake.wait_for_disconnect(10)  # leaving closed the upstream request
    statuses = wait_for_statuses(server, 3)
    assert statuses[-1] == "interrupted" and statuses.count("complete") == 2


def wait_for_statuses(server: LiveServer, count: int) -> list[str]:
    """The statuses of the usage rows, once there are `count` of them."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        rows = server.db(
            lambda session: session.scalars(select(UsageRecord.status).order_by(UsageRecord.id))
        )
        statuses = list(rows)
        if len(statuses) >= count:
            return statuses
        time.sleep(0.05)
    raise AssertionError("usage rows were not written")


def test_embeddings_and_a_dify_app(gpt: openai.OpenAI, alice: httpx.Client, dify: FakeDify) -> None:
    floats = gpt.embeddings.create(model=EMBED, input=["a cat", "a dog"], encoding_format="float")
    assert [d.embedding for d in floats.data] == [fake_vector("a cat"), fake_vector("a dog")]
    assert floats.model == EMBED and floats.usage.prompt_tokens == 4
    decoded = gpt.embeddings.create(model=EMBED, input="a cat")  # the SDK asks for base64
    assert decoded.data[0].embedding == pytest.approx(fake_vector("a cat"), abs=1e-6)
    assert usage_rows(alice, 2)["totals"]["input_tokens"] == 6

    app = {"name": "Helpdesk", "base_url": dify.base_url, "api_key": DIFY_KEY, "app_type": "chat"}
    assert alice.post("/api/dify-apps", json=app).status_code == 201
    assert [m.id for m in gpt.models.list().data][-1] == "dify/Helpdesk"
    dify.behaviour.reply = "Twenty-five days of paid holiday."
    messages: list[Any] = [
        {"role": "user", "content": "Hello"},
        {"role": "assistant", "content": "Hi"},
        {"role": "user", "content": "How many holidays?"},
    ]
    answer = gpt.chat.completions.create(model="dify/Helpdesk", messages=messages)
    assert answer.choices[0].message.content == "Twenty-five days of paid holiday."
    sent = next(r for r in dify.requests if r.path.endswith("/chat-messages"))
    assert (sent.body["query"], sent.body["conversation_id"]) == ("How many holidays?", "")
    by_model = {m["model_name"]: m["calls"] for m in usage_rows(alice, 3)["by_model"]}
    assert by_model["Helpdesk"] == 1


def test_an_upstream_failure_is_an_openai_error(
    gpt: openai.OpenAI, fake: FakeOpenAI, alice: httpx.Client
) -> None:
    fake.behaviour.fail_status = 401
    messages: list[Any] = [{"role": "user", "content": "Hi"}]
    for stream in (False, True):
        with pytest.raises(openai.APIStatusError) as failed:
            gpt.chat.completions.create(model=CHAT, messages=messages, stream=stream)
        assert failed.value.status_code == 502
        assert failed.value.code == "upstream_authentication_failed"
    assert usage_rows(alice, 2)["by_model"][0]["calls"] == 2
