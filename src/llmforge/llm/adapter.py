"""What every adapter shares: request building (URL, auth, extra headers), the stream pipeline
(think tags, usage estimate, time to first token, the closing events), `complete`,
`test_connection` and model listing. Adapters supply only their wire format."""

import re
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, AsyncIterator, Iterable
from contextlib import aclosing
from typing import Any

from llmforge.llm.base import (
    Capability,
    ChatMessage,
    ChatRequest,
    Citations,
    Completion,
    ConnectionReport,
    ContentDelta,
    EmbeddingResult,
    Event,
    Finish,
    ProviderConfig,
    ReasoningDelta,
    RemoteModel,
    StreamError,
    Usage,
)
from llmforge.llm.clients import Pool, UpstreamRequest
from llmforge.llm.errors import UpstreamError
from llmforge.llm.policy import Deadline, open_stream, request_json
from llmforge.llm.thinking import ThinkTagSplitter
from llmforge.llm.tokens import estimate_usage

RawEvent = ContentDelta | ReasoningDelta | Usage | Finish | Citations
PING = "Reply with the single word: pong"

_AUTH_HEADERS = {"api-key": "api-key", "x-api-key": "x-api-key", "x-goog-api-key": "x-goog-api-key"}
_EMBEDDING_WORDS = ("embed", "bge", "e5-", "gte-", "rerank")
_VISION_WORDS = ("vision", "-vl", "vl-", "gpt-4o", "gpt-4.1", "gpt-5", "claude", "gemini", "llava")
_REASONING_WORDS = ("reason", "think", "qwq", "gpt-5", "gpt-oss", "gemini-2.5", "magistral")
_REASONING_TOKENS = frozenset({"r1", "o1", "o3", "o4", "x1", "t1", "qwen3", "thinking"})


def guess_capabilities(model_id: str) -> list[Capability]:
    """A best guess from the model's name; the admin corrects it where it is wrong."""
    name = model_id.lower()
    if any(word in name for word in _EMBEDDING_WORDS):
        return ["embedding"]
    capabilities: list[Capability] = ["chat"]
    if any(word in name for word in _VISION_WORDS):
        capabilities.append("vision")
    tokens = set(re.split(r"[-_/:.@\s]+", name))
    if tokens & _REASONING_TOKENS or any(word in name for word in _REASONING_WORDS):
        capabilities.append("reasoning")
    return capabilities


def remote_model(model_id: str, display_name: Any = None, context: Any = None) -> RemoteModel:
    return RemoteModel(
        id=model_id,
        display_name=str(display_name or model_id),
        context_length=context if isinstance(context, int) and context > 0 else None,
        capabilities=guess_capabilities(model_id),
    )


class _Run:
    """The state of one chat call: turns raw protocol events into the public event sequence."""

    def __init__(self, request: ChatRequest, think_tags: bool, deadline: Deadline) -> None:
        self.request = request
        self.deadline = deadline
        self.splitter = ThinkTagSplitter() if think_tags else None
        self.text: list[str] = []
        self.usage: Usage | None = None
        self.finish_reason: str | None = None
        self.ttft_ms: float | None = None
        self.answered = False

    def accept(self, event: RawEvent) -> list[Event]:
        self.answered = True
        if isinstance(event, Usage):
            self.usage = event
            return []
        if isinstance(event, Finish):
            self.finish_reason = event.reason
            return []
        if isinstance(event, Citations):
            return [event]
        if isinstance(event, ContentDelta) and self.splitter:
            return self._deltas(self.splitter.feed(event.text))
        return self._deltas([event])

    def _deltas(self, deltas: Iterable[ContentDelta | ReasoningDelta]) -> list[Event]:
        kept = [delta for delta in deltas if delta.text]
        if kept and self.ttft_ms is None:
            self.ttft_ms = self.deadline.elapsed_ms()
        self.text.extend(delta.text for delta in kept)
        return list(kept)

    async def _usage(self, finished: bool) -> Usage:
        """The provider's usage; estimated when it sent none or the stream broke (then only
        the provider's input count is kept)."""
        if self.usage and finished:
            return self.usage
        estimate = await estimate_usage(self.request.messages, "".join(self.text))
        if self.usage and self.usage.input_tokens:
            return Usage(self.usage.input_tokens, estimate.output_tokens, estimated=True)
        return estimate

    async def close(self, error: UpstreamError | None) -> list[Event]:
        out = self._deltas(self.splitter.flush()) if self.splitter else []
        if error is None and self.finish_reason is None:
            error = UpstreamError("interrupted", "the stream ended before the provider finished")
        if error is not None:
            out.append(error.event())
        if self.answered:
            out.append(await self._usage(finished=error is None))
        reason = "error" if error else self.finish_reason or "stop"
        out.append(Finish(reason, self.ttft_ms, self.deadline.elapsed_ms()))
        return out


async def collect(events: AsyncGenerator[Event, None]) -> Completion:
    """A Completion from a whole event stream; raises UpstreamError if the stream failed."""
    content: list[str] = []
    reasoning: list[str] = []
    usage = Usage(0, 0, estimated=True)
    async with aclosing(events) as stream:
        async for event in stream:
            if isinstance(event, ContentDelta):
                content.append(event.text)
            elif isinstance(event, ReasoningDelta):
                reasoning.append(event.text)
            elif isinstance(event, Usage):
                usage = event
            elif isinstance(event, StreamError):
                raise UpstreamError(event.kind, event.message, event.status)
            elif isinstance(event, Citations):
                continue
            else:
                return Completion(
                    content="".join(content),
                    reasoning="".join(reasoning),
                    usage=usage,
                    finish_reason=event.reason,
                    ttft_ms=event.ttft_ms,
                    latency_ms=event.latency_ms or 0.0,
                )
    raise UpstreamError("bad_response", "the stream ended without a finish event")


class HttpAdapter(ABC):
    """Base of the four protocol adapters; one instance per provider config, sharing the
    config's pooled connections."""

    def __init__(self, config: ProviderConfig, http: Pool) -> None:
        self._config = config
        self._http = http

    @property
    def config(self) -> ProviderConfig:
        return self._config

    @abstractmethod
    def chat_request(self, request: ChatRequest, *, stream: bool) -> UpstreamRequest: ...

    @abstractmethod
    def parse_stream(self, lines: AsyncIterator[str]) -> AsyncIterator[RawEvent]: ...

    @abstractmethod
    def parse_completion(self, payload: Any) -> list[RawEvent]: ...

    @abstractmethod
    async def fetch_models(self) -> list[RemoteModel]: ...

    @abstractmethod
    async def embed(self, model: str, inputs: list[str]) -> EmbeddingResult: ...

    def protocol_headers(self) -> dict[str, str]:
        return {}

    def build(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
    ) -> UpstreamRequest:
        query = dict(params or {})
        if self._config.quirks.api_version:
            query["api-version"] = self._config.quirks.api_version
        return UpstreamRequest.with_json(
            method,
            self._config.base_url.rstrip("/") + path,
            self._headers(),
            json,
            params=query or None,
        )

    def _headers(self) -> dict[str, str]:
        headers = {"accept": "application/json", **self.protocol_headers()}
        key = self._config.secret()
        style = self._config.auth_style
        if key and style == "bearer":
            headers["authorization"] = f"Bearer {key}"
        elif key and style in _AUTH_HEADERS:
            headers[_AUTH_HEADERS[style]] = key
        return {**headers, **self._config.extra_headers}

    async def get_json(self, request: UpstreamRequest) -> Any:
        try:
            return await request_json(self._http, request, self._config)
        except UpstreamError as exc:
            raise exc.redacted(self._config.secret()) from None

    async def stream(self, request: ChatRequest) -> AsyncGenerator[Event, None]:
        deadline = Deadline(self._config.timeouts.total)
        run = _Run(request, self._config.quirks.think_tags, deadline)
        error: UpstreamError | None = None
        http_request = self.chat_request(request, stream=True)
        try:
            async with open_stream(self._http, http_request, self._config, deadline) as lines:
                async for raw in self.parse_stream(lines):
                    for event in run.accept(raw):
                        yield event
        except UpstreamError as exc:
            error = exc.redacted(self._config.secret())
        for event in await run.close(error):
            yield event

    async def _complete_once(self, request: ChatRequest) -> AsyncGenerator[Event, None]:
        deadline = Deadline(self._config.timeouts.total)
        run = _Run(request, self._config.quirks.think_tags, deadline)
        payload = await self.get_json(self.chat_request(request, stream=False))
        events: list[Event] = []
        for raw in self.parse_completion(payload):
            events.extend(run.accept(raw))
        for event in events + await run.close(None):
            yield event

    async def complete(self, request: ChatRequest, *, stream: bool = True) -> Completion:
        """The whole answer; `stream=True` measures the real time to first token."""
        events = self.stream(request) if stream else self._complete_once(request)
        return await collect(events)

    async def list_models(self) -> list[RemoteModel]:
        quirks = self._config.quirks
        if not quirks.list_models:
            return [remote_model(model_id) for model_id in quirks.known_models]
        return await self.fetch_models()

    async def test_connection(self, model: str | None = None) -> ConnectionReport:
        deadline = Deadline(self._config.timeouts.total)
        try:
            message = await self._probe(model)
        except UpstreamError as exc:
            return ConnectionReport(
                outcome=exc.outcome(),
                latency_ms=deadline.elapsed_ms(),
                message=exc.message,
                status=exc.status,
            )
        return ConnectionReport(outcome="ok", latency_ms=deadline.elapsed_ms(), message=message)

    async def _probe(self, model: str | None) -> str:
        if model is None:
            models = await self.list_models()
            return f"connected: {len(models)} models available"
        ping = ChatRequest(
            model=model, messages=(ChatMessage(role="user", content=PING),), max_tokens=16
        )
        await self.complete(ping, stream=False)
        return f"connected: {model} answered"
