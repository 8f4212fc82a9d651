"""A Dify app's service API as one more unified LLM client, so chat and comparison stream it
through their usual path.

Chat and agent apps: POST /chat-messages; completion apps: POST /completion-messages;
workflows: POST /workflows/run, all with `response_mode: streaming`. Dify streams
`data: {"event": ...}` lines: `message`/`agent_message` (answer text), `agent_thought`
(reasoning), `message_replace` (moderation), `text_chunk` (workflow text), `message_end`
(usage; its retriever resources are not shown yet), `workflow_finished`, `error`, and
`ping` keep-alives.
Leaving the stream early calls Dify's stop endpoint for the task it started."""

import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import anyio

from llmforge.dify.models import DifyAppType
from llmforge.llm.adapter import HttpAdapter, RawEvent
from llmforge.llm.base import (
    ChatRequest,
    Citations,
    ConnectionReport,
    ContentDelta,
    EmbeddingResult,
    Event,
    Finish,
    ReasoningDelta,
    RemoteModel,
    Usage,
)
from llmforge.llm.clients import Pool, UpstreamRequest
from llmforge.llm.errors import UnsupportedOperation, UpstreamError, kind_for_status
from llmforge.llm.policy import Deadline, decode_json
from llmforge.llm.sse import sse_events

logger = logging.getLogger("llmforge.dify")

STOP_TIMEOUT = 5.0
MODES: dict[DifyAppType, frozenset[str]] = {
    DifyAppType.chat: frozenset({"chat", "advanced-chat"}),
    DifyAppType.agent: frozenset({"agent-chat"}),
    DifyAppType.completion: frozenset({"completion"}),
    DifyAppType.workflow: frozenset({"workflow"}),
}
ENDPOINTS = {
    DifyAppType.chat: "/chat-messages",
    DifyAppType.agent: "/chat-messages",
    DifyAppType.completion: "/completion-messages",
    DifyAppType.workflow: "/workflows/run",
}
STOP_PATHS = {
    DifyAppType.chat: "/chat-messages/{task_id}/stop",
    DifyAppType.agent: "/chat-messages/{task_id}/stop",
    DifyAppType.completion: "/completion-messages/{task_id}/stop",
    DifyAppType.workflow: "/workflows/tasks/{task_id}/stop",
}
TEXT_EVENTS = frozenset({"message", "agent_message", "text_chunk"})

ConversationHook = Callable[[str], Awaitable[None]]


@dataclass
class DifyCall:
    """Who asks and in which conversation; filled in as the stream reports it."""

    app_type: DifyAppType
    user: str
    input_variable: str = "query"
    conversation_id: str = ""
    task_id: str | None = None
    thoughts: dict[str, str] = field(default_factory=dict)
    answered: bool = False
    moderated: bool = False


def thought_text(payload: dict[str, Any]) -> str:
    """One agent step as readable reasoning: the thought, the tool call and what it returned."""
    parts = [str(payload.get("thought") or "").strip()]
    if payload.get("tool"):
        parts.append(f"→ {payload['tool']}({payload.get('tool_input') or ''})")
    if payload.get("observation"):
        parts.append(f"← {payload['observation']}")
    return "\n".join(part for part in parts if part)


def workflow_text(outputs: Any) -> str:
    """A workflow's answer: its single text output, or every output as `name: value` lines."""
    if not isinstance(outputs, dict) or not outputs:
        return ""
    if len(outputs) == 1:
        return str(next(iter(outputs.values())))
    return "\n".join(f"{name}: {value}" for name, value in outputs.items())


def _usage(metadata: Any) -> Usage | None:
    usage = metadata.get("usage") if isinstance(metadata, dict) else None
    if not isinstance(usage, dict) or "prompt_tokens" not in usage:
        return None
    return Usage(int(usage["prompt_tokens"]), int(usage.get("completion_tokens") or 0))


def _citations(metadata: Any) -> Citations | None:
    """Dify's `retriever_resources`: the passages its knowledge retrieval gave the app."""
    resources = metadata.get("retriever_resources") if isinstance(metadata, dict) else None
    if not isinstance(resources, list) or not resources:
        return None
    return Citations(
        tuple(
            _source(position, resource)
            for position, resource in enumerate(resources, start=1)
            if isinstance(resource, dict)
        )
    )


def _source(position: int, resource: dict[str, Any]) -> dict[str, Any]:
    def number(key: str, default: int) -> int:
        value = resource.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else default

    score = resource.get("score")
    return {
        "index": number("position", position),
        "score": float(score) if isinstance(score, int | float) else 0.0,
        "knowledge_base_id": None,
        "knowledge_base_name": str(resource.get("dataset_name") or ""),
        "document_id": None,
        "filename": str(resource.get("document_name") or ""),
        "chunk_index": number("segment_position", 0),
        "heading": "",
        "text": str(resource.get("content") or ""),
    }


class DifyClient(HttpAdapter):
    """One turn with one Dify app (a new instance per call: it keeps the call's task id)."""

    def __init__(
        self,
        config: Any,
        http: Pool,
        call: DifyCall,
        on_conversation: ConversationHook | None = None,
    ) -> None:
        super().__init__(config, http)
        self.call = call
        self._on_conversation = on_conversation

    def chat_request(self, request: ChatRequest, *, stream: bool) -> UpstreamRequest:
        query = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
        call = self.call
        body: dict[str, Any] = {"response_mode": "streaming", "user": call.user}
        if call.app_type in (DifyAppType.chat, DifyAppType.agent):
            body |= {"inputs": {}, "query": query, "conversation_id": call.conversation_id}
        else:
            body["inputs"] = {call.input_variable: query}
        return self.build("POST", ENDPOINTS[call.app_type], json=body)

    async def stream(self, request: ChatRequest) -> AsyncGenerator[Event, None]:
        known = self.call.conversation_id
        finished = False
        try:
            async with aclosing(super().stream(request)) as events:
                async for event in events:
                    yield event
            finished = True
        finally:
            with anyio.CancelScope(shield=True):
                if not finished and self.call.task_id:
                    await self.stop()
                if self._on_conversation and self.call.conversation_id != known:
                    await self._on_conversation(self.call.conversation_id)

    async def stop(self) -> None:
        """Ask Dify to stop generating (the client went away); failures are only logged."""
        path = STOP_PATHS[self.call.app_type].format(task_id=self.call.task_id)
        request = self.build("POST", path, json={"user": self.call.user})
        with anyio.move_on_after(STOP_TIMEOUT):
            try:
                response = await self._http.send(request)
                response.release()
                if response.status >= 300:
                    logger.warning("Dify refused to stop task: HTTP %s", response.status)
            except aiohttp.ClientError as exc:
                logger.warning("could not stop a Dify task: %s", exc)

    async def parse_stream(self, lines: AsyncIterator[str]) -> AsyncIterator[RawEvent]:
        async for sse in sse_events(lines):
            payload = decode_json(sse.data, self.config)
            if not isinstance(payload, dict):
                raise UpstreamError("bad_response", "Dify sent an event that is not an object")
            for raw in self._events(payload):
                yield raw

    def _events(self, payload: dict[str, Any]) -> list[RawEvent]:
        call, name = self.call, payload.get("event")
        call.task_id = call.task_id or payload.get("task_id")
        if payload.get("conversation_id"):
            call.conversation_id = str(payload["conversation_id"])
        if name in TEXT_EVENTS:
            data = payload.get("data") if name == "text_chunk" else payload
            text = data.get("answer") or data.get("text") if isinstance(data, dict) else ""
            call.answered = call.answered or bool(text)
            return [ContentDelta(str(text or ""))]
        if name == "agent_thought":
            return self._thought(payload)
        if name == "message_replace":  # moderation: the preset reply follows what was said
            call.moderated = True
            return [ContentDelta("\n\n" + str(payload.get("answer") or ""))]
        if name == "message_end":
            metadata = payload.get("metadata") or {}
            usage = _usage(metadata)
            finish = Finish("content_filter" if call.moderated else "stop")
            citations = _citations(metadata)
            return [event for event in (citations, usage, finish) if event is not None]
        if name == "workflow_finished":
            return self._workflow_finished(payload.get("data") or {})
        if name == "error":
            status = payload.get("status") if isinstance(payload.get("status"), int) else None
            kind = kind_for_status(status) if status else "server_error"
            raise UpstreamError(
                kind, str(payload.get("message") or "Dify reported an error"), status
            )
        return []

    def _thought(self, payload: dict[str, Any]) -> list[RawEvent]:
        """Dify resends a step as it grows; only what is new becomes reasoning."""
        key = str(payload.get("id") or payload.get("position") or "")
        before, now = self.call.thoughts.get(key, ""), thought_text(payload)
        self.call.thoughts[key] = now
        if not now or now == before:
            return []
        if before and now.startswith(before):
            return [ReasoningDelta(now[len(before) :])]
        return [ReasoningDelta(("\n\n" if self.call.thoughts.keys() - {key} else "") + now)]

    def _workflow_finished(self, data: dict[str, Any]) -> list[RawEvent]:
        if data.get("status") not in (None, "succeeded"):
            raise UpstreamError("server_error", str(data.get("error") or "the workflow failed"))
        if self.call.app_type is not DifyAppType.workflow:
            return []  # a chatflow: its answer came as messages, message_end follows
        text = "" if self.call.answered else workflow_text(data.get("outputs"))
        return [ContentDelta(text), Finish("stop")]

    def parse_completion(self, payload: Any) -> list[RawEvent]:
        raise UnsupportedOperation("Dify apps are always streamed.")

    async def fetch_models(self) -> list[RemoteModel]:
        raise UnsupportedOperation("A Dify app has no model list.")

    async def embed(self, model: str, inputs: list[str]) -> EmbeddingResult:
        raise UnsupportedOperation("A Dify app cannot embed text.")

    async def test_connection(self, model: str | None = None) -> ConnectionReport:
        """GET /info with the app key: the key works and belongs to an app of this type."""
        deadline = Deadline(self.config.timeouts.total)
        try:
            info = await self.get_json(self.build("GET", "/info"))
        except UpstreamError as exc:
            return ConnectionReport(
                outcome=exc.outcome(),
                latency_ms=deadline.elapsed_ms(),
                message=exc.message,
                status=exc.status,
            )
        mode = str(info.get("mode") or "") if isinstance(info, dict) else ""
        name = str(info.get("name") or "") if isinstance(info, dict) else ""
        elapsed = deadline.elapsed_ms()
        if mode and mode not in MODES[self.call.app_type]:
            message = f"'{name}' is a Dify {mode} app, not a {self.call.app_type.value} app"
            return ConnectionReport(outcome="bad_response", latency_ms=elapsed, message=message)
        return ConnectionReport(outcome="ok", latency_ms=elapsed, message=f"connected: {name}")
