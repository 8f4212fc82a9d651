"""/v1/chat/completions through the unified client layer: the OpenAI request becomes a
ChatRequest, the answer an OpenAI completion or a stream of `chat.completion.chunk`s (reasoning
as `reasoning_content` deltas, usage last when `stream_options.include_usage` is set). Every
call is recorded as usage (source `gateway`) exactly as chat records its answers."""

import secrets
import time
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

import anyio
from pydantic_core import to_json

from llmforge.calls.answer import Answer, usage_entry
from llmforge.core.errors import BadRequest
from llmforge.gateway.access import GatewayServices, Target
from llmforge.gateway.schemas import ChatCompletionRequest, Message
from llmforge.llm import (
    ChatMessage,
    ChatRequest,
    ContentDelta,
    Event,
    Finish,
    ReasoningDelta,
    StreamError,
    UpstreamError,
    Usage,
)
from llmforge.llm.tokens import estimate_usage
from llmforge.providers.schemas import ModelParameters
from llmforge.usage.models import UsageSource

FINISH_REASONS = {"stop", "length", "tool_calls", "content_filter"}


def _unsupported(message: str, param: str) -> BadRequest:
    return BadRequest(message, code="unsupported_value", details={"param": param})


def check_supported(body: ChatCompletionRequest) -> None:
    """Refuse what the gateway cannot honour, naming the parameter."""
    if body.n not in (None, 1):
        raise _unsupported("Only one choice per request is supported: n must be 1.", "n")
    if body.tools or body.functions:
        raise _unsupported("Tool calling is not supported through the llmforge gateway.", "tools")
    if body.logprobs:
        raise _unsupported("logprobs are not supported through the llmforge gateway.", "logprobs")


def _text(message: Message, index: int) -> str:
    if message.content is None or isinstance(message.content, str):
        return message.content or ""
    if any(part.type != "text" or part.text is None for part in message.content):
        raise _unsupported("Only text content parts are supported.", f"messages[{index}].content")
    return "".join(part.text or "" for part in message.content)


def _messages(body: ChatCompletionRequest) -> tuple[ChatMessage, ...]:
    converted = []
    for index, message in enumerate(body.messages):
        if message.role in ("tool", "function") or message.tool_calls:
            raise _unsupported(
                "Tool messages are not supported through the llmforge gateway.",
                f"messages[{index}].role",
            )
        role = "system" if message.role == "developer" else message.role
        converted.append(ChatMessage(role=role, content=_text(message, index)))
    return tuple(converted)


def chat_request(target: Target, body: ChatCompletionRequest) -> ChatRequest:
    """The request's own parameters over the model's defaults."""
    given = {
        "temperature": body.temperature,
        "top_p": body.top_p,
        "max_tokens": body.max_completion_tokens or body.max_tokens,
        "presence_penalty": body.presence_penalty,
        "frequency_penalty": body.frequency_penalty,
        "stop": [body.stop] if isinstance(body.stop, str) else body.stop,
        "reasoning_effort": body.reasoning_effort,
    }
    parameters = ModelParameters.model_validate(
        {**target.model.parameters, **{k: v for k, v in given.items() if v is not None}}
    )
    return ChatRequest(
        model=target.model.model_id,
        messages=_messages(body),
        temperature=parameters.temperature,
        top_p=parameters.top_p,
        max_tokens=parameters.max_tokens,
        presence_penalty=parameters.presence_penalty,
        frequency_penalty=parameters.frequency_penalty,
        stop=tuple(parameters.stop),
        reasoning_effort=parameters.reasoning_effort,
    )


def record_usage(
    services: GatewayServices,
    target: Target,
    usage: Usage,
    timings: dict[str, float | None],
    status: str,
) -> None:
    services.recorder.record(
        usage_entry(
            user_id=target.user_id,
            model=target.model,
            provider=target.provider,
            source=UsageSource.gateway,
            usage=usage,
            timings=timings,
            status=status,
        )
    )


def _finish_reason(reason: str | None) -> str:
    return reason if reason in FINISH_REASONS else "stop"


def _usage_body(usage: Usage) -> dict[str, int]:
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.input_tokens + usage.output_tokens,
    }


def completion_id() -> str:
    return "chatcmpl-" + secrets.token_hex(12)


async def complete(
    services: GatewayServices, target: Target, request: ChatRequest
) -> dict[str, Any]:
    """One whole answer (a Dify app is always streamed from upstream: it answers no other way)."""
    started = time.perf_counter()
    try:
        done = await target.client.complete(request, stream=target.entry.app is not None)
    except UpstreamError:
        latency = round((time.perf_counter() - started) * 1000, 1)
        usage = await estimate_usage(request.messages, "")
        record_usage(services, target, usage, {"ttft_ms": None, "latency_ms": latency}, "error")
        raise
    timings = {"ttft_ms": done.ttft_ms, "latency_ms": done.latency_ms}
    record_usage(services, target, done.usage, timings, "complete")
    message: dict[str, Any] = {"role": "assistant", "content": done.content}
    if done.reasoning:
        message["reasoning_content"] = done.reasoning
    return {
        "id": completion_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": target.entry.name,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": _finish_reason(done.finish_reason),
            }
        ],
        "usage": _usage_body(done.usage),
    }


def _sse(payload: dict[str, Any]) -> bytes:
    return b"data: " + to_json(payload) + b"\n\n"


@dataclass
class ChunkStream:
    """The state of one streamed answer, from the first upstream event to `[DONE]`."""

    services: GatewayServices
    target: Target
    request: ChatRequest
    include_usage: bool
    answer: Answer = field(default_factory=Answer)
    id: str = field(default_factory=completion_id)
    created: int = field(default_factory=lambda: int(time.time()))

    def chunk(self, delta: dict[str, Any], finish: str | None = None) -> bytes:
        return _sse(
            {
                "id": self.id,
                "object": "chat.completion.chunk",
                "created": self.created,
                "model": self.target.entry.name,
                "choices": [
                    {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
                ],
            }
        )

    def line(self, event: Event) -> bytes | None:
        """What the client gets for one event (usage is kept for the end)."""
        self.answer.accept(event)
        if isinstance(event, ContentDelta):
            return self.chunk({"content": event.text})
        if isinstance(event, ReasoningDelta):
            return self.chunk({"reasoning_content": event.text})
        if isinstance(event, StreamError):
            error = {"message": event.message, "type": "api_error", "param": None}
            return _sse({"error": {**error, "code": f"upstream_{event.kind}"}})
        if isinstance(event, Finish) and not self.answer.failed:
            return self.chunk({}, _finish_reason(event.reason))
        return None

    def usage_line(self) -> bytes:
        usage = self.answer.usage or Usage(0, 0, estimated=True)
        payload = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.target.entry.name,
            "choices": [],
            "usage": _usage_body(usage),
        }
        return _sse(payload)

    async def save(self, status: str) -> None:
        with anyio.CancelScope(shield=True):  # also when the client went away
            usage = self.answer.usage or await estimate_usage(
                self.request.messages, self.answer.text
            )
        record_usage(self.services, self.target, usage, self.answer.timings(), status)

    async def body(self, first: Event, rest: AsyncGenerator[Event, None]) -> AsyncIterator[bytes]:
        finished = False
        try:
            async with aclosing(rest):
                # the role chunk and the first event are both at hand: one write, not two
                yield self.chunk({"role": "assistant", "content": ""}) + (self.line(first) or b"")
                async for event in rest:
                    if (line := self.line(event)) is not None:
                        yield line
            finished = True
        finally:
            if not finished:
                await self.save("interrupted")
        await self.save("error" if self.answer.failed else "complete")
        if self.include_usage and not self.answer.failed:
            yield self.usage_line()
        yield b"data: [DONE]\n\n"


async def open_stream(
    services: GatewayServices, target: Target, request: ChatRequest, include_usage: bool
) -> AsyncIterator[bytes]:
    """Start the upstream stream; a failure before anything arrived is raised as an error
    with its status instead of starting a stream that can only report it."""
    stream = ChunkStream(services, target, request, include_usage)
    events = target.client.stream(request)
    try:
        first = await anext(events)
    except BaseException:
        await events.aclose()
        raise
    if isinstance(first, StreamError):
        await events.aclose()
        stream.answer.accept(first)
        await stream.save("error")
        raise UpstreamError(first.kind, first.message, first.status)
    return stream.body(first, events)
