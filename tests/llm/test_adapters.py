"""Every adapter against its protocol-exact fake over real loopback HTTP."""

from collections.abc import Callable
from contextlib import aclosing

import anyio
import pytest

from llmforge.llm import (
    ChatMessage,
    ChatRequest,
    ContentDelta,
    Event,
    Finish,
    LLMClient,
    ProviderConfig,
    ReasoningDelta,
    StreamError,
    UnsupportedOperation,
    Usage,
)
from tests.fakes import fake_vector
from tests.llm.conftest import Provider

pytestmark = pytest.mark.anyio
Connect = Callable[[ProviderConfig], LLMClient]


async def disconnected(provider: Provider) -> bool:
    """The fake saw the client go away within 5 s (waited for off the loop, which is what
    closes the connection)."""
    return await anyio.to_thread.run_sync(provider.fake.wait_for_disconnect, 5)


def chat(**options: object) -> ChatRequest:
    messages = (
        ChatMessage(role="system", content="Be brief."),
        ChatMessage(role="user", content="Say hello."),
    )
    return ChatRequest.model_validate({"model": "fake-chat", "messages": messages, **options})


async def events_of(client: LLMClient, request: ChatRequest) -> list[Event]:
    async with aclosing(client.stream(request)) as stream:
        return [event async for event in stream]


def text_of(events: list[Event], kind: type[ContentDelta | ReasoningDelta]) -> str:
    return "".join(e.text for e in events if isinstance(e, kind))


async def test_stream_gives_content_reasoning_usage_and_finish(
    provider: Provider, connect: Connect
) -> None:
    provider.fake.behaviour.reply = "Hello there, world."
    provider.fake.behaviour.reasoning = "Let me think about it."
    events = await events_of(connect(provider.config()), chat())
    assert text_of(events, ContentDelta) == "Hello there, world."
    assert text_of(events, ReasoningDelta) == "Let me think about it."
    assert events[-2] == Usage(11, 7, estimated=False)
    finish = events[-1]
    assert isinstance(finish, Finish) and finish.reason == "stop"
    assert finish.ttft_ms is not None and finish.latency_ms is not None
    assert 0 < finish.ttft_ms <= finish.latency_ms
    assert not any(isinstance(e, StreamError) for e in events)


@pytest.mark.parametrize("stream", [True, False])
async def test_complete(provider: Provider, connect: Connect, stream: bool) -> None:
    provider.fake.behaviour.reply = "<think>hidden plan</think>Visible answer."
    completion = await connect(provider.config()).complete(chat(), stream=stream)
    assert completion.content == "Visible answer."
    assert completion.reasoning == "hidden plan"
    assert completion.usage == Usage(11, 7)
    assert completion.finish_reason == "stop"
    assert completion.latency_ms > 0
    assert completion.ttft_ms is not None and completion.ttft_ms <= completion.latency_ms


async def test_missing_usage_is_estimated(provider: Provider, connect: Connect) -> None:
    provider.fake.behaviour.omit_usage = True
    provider.fake.behaviour.reply = "one two three four five six seven eight"
    completion = await connect(provider.config()).complete(chat())
    assert completion.usage.estimated
    assert completion.usage.output_tokens == 8
    assert completion.usage.input_tokens > 6


async def test_list_models(provider: Provider, connect: Connect) -> None:
    provider.fake.behaviour.models = ["fake-chat", "fake-reasoner-r1", "fake-embed"]
    models = {m.id: m for m in await connect(provider.config()).list_models()}
    assert set(models) == {"fake-chat", "fake-reasoner-r1", "fake-embed"}
    assert models["fake-embed"].capabilities == ["embedding"]
    assert "chat" in models["fake-chat"].capabilities
    assert "reasoning" in models["fake-reasoner-r1"].capabilities


async def test_embeddings(provider: Provider, connect: Connect) -> None:
    client = connect(provider.config())
    if provider.protocol == "anthropic":
        with pytest.raises(UnsupportedOperation):
            await client.embed("fake-embed", ["a"])
        return
    result = await client.embed("fake-embed", ["first text", "second"])
    assert result.vectors == [fake_vector("first text"), fake_vector("second")]
    assert result.usage.input_tokens > 0


async def test_connection_ok(provider: Provider, connect: Connect) -> None:
    client = connect(provider.config())
    listed = await client.test_connection()
    assert listed.outcome == "ok" and "2 models" in listed.message
    answered = await client.test_connection("fake-chat")
    assert answered.outcome == "ok" and answered.latency_ms > 0


async def test_wrong_key_is_authentication_failed(provider: Provider, connect: Connect) -> None:
    wrong = "sk-wrong-key-that-must-not-leak-42"
    report = await connect(provider.config(api_key=wrong)).test_connection("fake-chat")
    assert report.outcome == "authentication_failed"
    assert report.status in (400, 401)
    assert report.message and wrong not in report.message


async def test_unknown_model_is_model_not_found(provider: Provider, connect: Connect) -> None:
    report = await connect(provider.config()).test_connection("no-such-model")
    assert report.outcome == "model_not_found"
    assert report.status == 404
    assert "no-such-model" in report.message


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (401, "authentication_failed"),
        (404, "model_not_found"),
        (429, "rate_limited"),
        (500, "bad_response"),
    ],
)
async def test_forced_status_outcomes(
    provider: Provider, connect: Connect, status: int, outcome: str
) -> None:
    provider.fake.behaviour.fail_status = status
    report = await connect(provider.config()).test_connection("fake-chat")
    assert (report.outcome, report.status) == (outcome, status)
    assert report.message and not report.message.startswith("HTTP")


async def test_unreachable(provider: Provider, connect: Connect) -> None:
    from tests.pg import free_port

    config = provider.config(base_url=f"http://127.0.0.1:{free_port()}")
    report = await connect(config).test_connection()
    assert report.outcome == "unreachable"
    assert "127.0.0.1" in report.message


async def test_timeout(provider: Provider, connect: Connect) -> None:
    provider.fake.behaviour.first_byte_delay = 2
    timeouts = {"connect": 1, "first_byte": 0.3, "idle": 0.3, "total": 0.5}
    report = await connect(provider.config(timeouts=timeouts)).test_connection()
    assert report.outcome == "timeout"
    assert report.latency_ms < 1900


async def test_garbage_is_bad_response(provider: Provider, connect: Connect) -> None:
    provider.fake.behaviour.garbage = True
    client = connect(provider.config())
    assert (await client.test_connection()).outcome == "bad_response"
    events = await events_of(client, chat())
    error = next(e for e in events if isinstance(e, StreamError))
    assert error.kind == "bad_response"
    assert events[-1] == Finish("error", None, events[-1].latency_ms)  # type: ignore[union-attr]


async def test_retry_before_first_byte(provider: Provider, connect: Connect) -> None:
    provider.fake.behaviour.fail_status, provider.fake.behaviour.fail_times = 500, 2
    completion = await connect(provider.config()).complete(chat())
    assert completion.content == provider.fake.behaviour.reply
    assert len(provider.fake.requests) == 3


async def test_rate_limit_retried_then_reported(provider: Provider, connect: Connect) -> None:
    provider.fake.behaviour.fail_status = 429
    events = await events_of(connect(provider.config()), chat())
    assert [type(e) for e in events] == [StreamError, Finish]
    assert events[0] == StreamError("rate_limited", events[0].message, 429)  # type: ignore[union-attr]
    assert len(provider.fake.requests) == 3


async def test_midstream_disconnect_keeps_content_and_does_not_retry(
    provider: Provider, connect: Connect
) -> None:
    behaviour = provider.fake.behaviour
    behaviour.reply, behaviour.chunk_size = "abcdefghijklmnopqrstuvwxyz", 2
    behaviour.disconnect_after = 5
    events = await events_of(connect(provider.config()), chat())
    content = text_of(events, ContentDelta)
    assert content and behaviour.reply.startswith(content) and content != behaviour.reply
    error = next(e for e in events if isinstance(e, StreamError))
    assert error.kind == "interrupted"
    assert isinstance(events[-2], Usage) and events[-2].estimated
    assert isinstance(events[-1], Finish) and events[-1].reason == "error"
    assert len(provider.fake.requests) == 1


async def test_idle_timeout_mid_stream(provider: Provider, connect: Connect) -> None:
    behaviour = provider.fake.behaviour
    behaviour.reply, behaviour.chunk_size, behaviour.token_delay = "abcdefgh", 2, 0.6
    timeouts = {"connect": 1, "first_byte": 2, "idle": 0.3, "total": 10}
    events = await events_of(connect(provider.config(timeouts=timeouts)), chat())
    error = next(e for e in events if isinstance(e, StreamError))
    assert error.kind == "timeout" and "mid-stream" in error.message
    assert behaviour.reply.startswith(text_of(events, ContentDelta))
    assert await disconnected(provider)


async def test_leaving_early_closes_the_upstream_request(
    provider: Provider, connect: Connect
) -> None:
    behaviour = provider.fake.behaviour
    behaviour.reply, behaviour.chunk_size, behaviour.token_delay = "x" * 100, 1, 0.05
    async with aclosing(connect(provider.config()).stream(chat())) as stream:
        async for event in stream:
            if isinstance(event, ContentDelta):
                break
    assert await disconnected(provider)


async def test_cancelling_the_task_closes_the_upstream_request(
    provider: Provider, connect: Connect
) -> None:
    behaviour = provider.fake.behaviour
    behaviour.reply, behaviour.chunk_size, behaviour.token_delay = "y" * 100, 1, 0.05
    first_delta = anyio.Event()

    async def consume() -> None:
        async for event in connect(provider.config()).stream(chat()):
            if isinstance(event, ContentDelta):
                first_delta.set()

    async with anyio.create_task_group() as group:
        group.start_soon(consume)
        with anyio.fail_after(5):
            await first_delta.wait()
        group.cancel_scope.cancel()
    assert await disconnected(provider)


async def test_the_key_never_appears_in_errors(provider: Provider, connect: Connect) -> None:
    secret = "sk-live-SECRET-0123456789-zz"
    provider.fake.behaviour.garbage = True
    config = provider.config(api_key=secret)
    assert secret not in repr(config) and secret not in str(config)
    client = connect(config)
    reports = [await client.test_connection(), await client.test_connection("fake-chat")]
    events = await events_of(client, chat())
    texts = [r.message for r in reports] + [repr(e) for e in events]
    assert all(secret not in text for text in texts)
