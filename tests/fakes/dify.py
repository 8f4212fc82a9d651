"""A fake Dify service API (one app per server), speaking Dify's documented wire format.

    with FakeDify(api_key="app-test", mode="agent-chat") as fake:   # base_url: .../v1
        fake.behaviour.thoughts = [{"thought": "look it up", "tool": "search", ...}]
        fake.behaviour.error_after = 2           # an `error` event after two text chunks
        ...
        assert fake.stops == ["<task id>"]       # POST .../{task_id}/stop was called

Endpoints: POST /v1/chat-messages (modes chat, advanced-chat, agent-chat), POST
/v1/completion-messages (completion), POST /v1/workflows/run (workflow), the three stop
endpoints, GET /v1/info and GET /v1/parameters. Streams are `data: {"event": ...}` chunks
separated by blank lines, with an `event: ping` keep-alive first, as Dify sends them: text in
`message` / `agent_message` / `text_chunk` events, `agent_thought` steps (each resent as it
grows), `workflow_started`/`node_started`/`node_finished`/`workflow_finished` around
workflows and chatflows, `message_replace` for moderation, and `message_end` with
`metadata.usage` and `metadata.retriever_resources`. Errors are Dify's JSON bodies
(`{"code", "message", "status"}`) before the stream, or an `error` event inside it.
"""

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.server import FakeBehaviour, FakeServer, json_response

CREATED = 1_705_395_332
CHAT_MODES = frozenset({"chat", "advanced-chat", "agent-chat"})
RESOURCE = {
    "position": 1,
    "dataset_id": "101b4c97-fc2e-463c-90b1-5261a4cdcafb",
    "dataset_name": "Handbook",
    "document_id": "8dd1ad74-0b5f-4175-b735-7d98bbbb4e00",
    "document_name": "holidays.md",
    "segment_id": "ed599c7f-2766-4294-9d1d-e5235a61270a",
    "score": 0.91,
    "content": "Every employee has 25 days of paid holiday.",
}


@dataclass
class DifyBehaviour(FakeBehaviour):
    reply: str = "Hello from the fake Dify app."
    thoughts: list[dict[str, str]] = field(default_factory=list)
    """Agent steps: thought, tool, tool_input, observation (agent-chat apps)."""
    retriever_resources: list[dict[str, Any]] = field(default_factory=lambda: [dict(RESOURCE)])
    outputs: dict[str, Any] | None = None
    """Workflow outputs (default: {"text": reply}); with `stream_text` False only these carry
    the answer."""
    stream_text: bool = True
    error_after: int | None = None
    """Send an `error` event after this many text chunks instead of finishing."""
    error_status: int = 400
    error_message: str = "[openai] Error: The model rejected the request."
    replace_with: str | None = None
    """Send a `message_replace` (output moderation) before `message_end`."""
    workflow_status: str = "succeeded"


class FakeDify(FakeServer):
    def __init__(self, api_key: str | None = "app-test-key", *, mode: str = "chat") -> None:
        super().__init__(api_key)
        self.mode = mode
        self.name = "Fake Dify app"
        self.behaviour: DifyBehaviour = DifyBehaviour()
        self.stops: list[str] = []
        self.conversations: dict[str, list[str]] = {}

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def reset(self) -> None:
        super().reset()
        self.behaviour = DifyBehaviour()
        self.stops.clear()
        self.conversations.clear()

    def routes(self) -> list[Route]:
        return [
            Route("/v1/chat-messages", self.chat, methods=["POST"]),
            Route("/v1/completion-messages", self.completion, methods=["POST"]),
            Route("/v1/workflows/run", self.workflow, methods=["POST"]),
            Route("/v1/chat-messages/{task_id}/stop", self.stop_task, methods=["POST"]),
            Route("/v1/completion-messages/{task_id}/stop", self.stop_task, methods=["POST"]),
            Route("/v1/workflows/tasks/{task_id}/stop", self.stop_task, methods=["POST"]),
            Route("/v1/info", self.info),
            Route("/v1/parameters", self.parameters),
        ]

    # -- refusals ----------------------------------------------------------------
    @staticmethod
    def error(status: int, code: str, message: str) -> Response:
        return json_response({"code": code, "message": message, "status": status}, status)

    def _refuse(self, request: Request, modes: frozenset[str], body: Any) -> Response | None:
        auth = request.headers.get("authorization", "")
        if self.api_key is not None and auth != f"Bearer {self.api_key}":
            return self.error(401, "unauthorized", "Access token is invalid")
        status = self.behaviour.take_failure()
        if status is not None:
            return self.error(status, "internal_server_error", "The server encountered an error.")
        if self.mode not in modes:
            return self.error(
                400, "app_unavailable", "Please check if your app mode matches the right API route."
            )
        if not isinstance(body, dict) or not body.get("user"):
            return self.error(400, "invalid_param", "user is required in input form")
        if body.get("response_mode") != "streaming":
            return self.error(400, "invalid_param", "only streaming is served by this fake")
        return None

    # -- endpoints -----------------------------------------------------------------
    async def chat(self, request: Request) -> Response:
        body = (await self.record(request)).body
        refusal = self._refuse(request, CHAT_MODES, body)
        if refusal is not None:
            return refusal
        if not str(body.get("query") or "").strip():
            return self.error(400, "invalid_param", "query is required")
        conversation = str(body.get("conversation_id") or "")
        if conversation and conversation not in self.conversations:
            return self.error(404, "not_found", "Conversation Not Exists.")
        conversation = conversation or str(uuid.uuid4())
        self.conversations.setdefault(conversation, []).append(str(body["query"]))
        return self.stream(self._chat_events(conversation), "text/event-stream")

    async def completion(self, request: Request) -> Response:
        body = (await self.record(request)).body
        refusal = self._refuse(request, frozenset({"completion"}), body)
        if refusal is not None:
            return refusal
        if not (body.get("inputs") or {}).get("query"):
            return self.error(400, "invalid_param", "query is required in input form")
        return self.stream(self._message_events("message", ""), "text/event-stream")

    async def workflow(self, request: Request) -> Response:
        body = (await self.record(request)).body
        refusal = self._refuse(request, frozenset({"workflow"}), body)
        if refusal is not None:
            return refusal
        if not isinstance(body.get("inputs"), dict):
            return self.error(400, "invalid_param", "inputs is required")
        return self.stream(self._workflow_events(), "text/event-stream")

    async def stop_task(self, request: Request) -> Response:
        body = (await self.record(request)).body
        auth = request.headers.get("authorization", "")
        if self.api_key is not None and auth != f"Bearer {self.api_key}":
            return self.error(401, "unauthorized", "Access token is invalid")
        if not isinstance(body, dict) or not body.get("user"):
            return self.error(400, "invalid_param", "user is required")
        self.stops.append(str(request.path_params["task_id"]))
        return json_response({"result": "success"})

    async def info(self, request: Request) -> Response:
        await self.record(request)
        auth = request.headers.get("authorization", "")
        if self.api_key is not None and auth != f"Bearer {self.api_key}":
            return self.error(401, "unauthorized", "Access token is invalid")
        return json_response(
            {
                "name": self.name,
                "description": "A fake app",
                "tags": [],
                "mode": self.mode,
                "author_name": "tests",
            }
        )

    async def parameters(self, request: Request) -> Response:
        await self.record(request)
        return json_response({"opening_statement": "", "user_input_form": []})

    # -- streams -------------------------------------------------------------------
    def _chat_events(self, conversation: str) -> list[str]:
        task, message = str(uuid.uuid4()), str(uuid.uuid4())
        ids = {"task_id": task, "message_id": message, "conversation_id": conversation}
        parts = [PING]
        chatflow = self.mode == "advanced-chat"
        if chatflow:
            parts += self._workflow_open(task)
        if self.mode == "agent-chat":
            parts += self._thought_events(ids)
        text_event = "agent_message" if self.mode == "agent-chat" else "message"
        body = self._message_events(text_event, conversation, ids)
        if chatflow and self.behaviour.error_after is None:
            body[-1:-1] = self._workflow_close(task)  # the workflow ends before message_end
        return parts + body[1:]

    def _message_events(
        self, text_event: str, conversation: str, ids: dict[str, str] | None = None
    ) -> list[str]:
        behaviour = self.behaviour
        ids = ids or {"task_id": str(uuid.uuid4()), "message_id": str(uuid.uuid4())}
        parts = [PING]
        for index, text in enumerate(behaviour.content_chunks()):
            if behaviour.error_after is not None and index >= behaviour.error_after:
                return [*parts, self._error_event(ids)]
            parts.append(
                data(
                    {
                        "event": text_event,
                        **ids,
                        "id": ids["message_id"],
                        "answer": text,
                        "created_at": CREATED,
                    }
                )
            )
        if behaviour.error_after is not None:
            return [*parts, self._error_event(ids)]
        if behaviour.replace_with is not None:
            parts.append(
                data(
                    {
                        "event": "message_replace",
                        **ids,
                        "answer": behaviour.replace_with,
                        "created_at": CREATED,
                    }
                )
            )
        parts.append(
            data(
                {
                    "event": "message_end",
                    **ids,
                    "id": ids["message_id"],
                    "metadata": self._metadata(conversation),
                }
            )
        )
        return parts

    def _metadata(self, conversation: str) -> dict[str, Any]:
        prompt, completion = self.behaviour.usage
        metadata: dict[str, Any] = {
            "usage": {
                "prompt_tokens": prompt,
                "prompt_unit_price": "0.001",
                "prompt_price_unit": "0.001",
                "prompt_price": f"{prompt * 0.000001:.7f}",
                "completion_tokens": completion,
                "completion_unit_price": "0.002",
                "completion_price_unit": "0.001",
                "completion_price": f"{completion * 0.000002:.7f}",
                "total_tokens": prompt + completion,
                "total_price": f"{prompt * 0.000001 + completion * 0.000002:.7f}",
                "currency": "USD",
                "latency": 0.42,
            }
        }
        if self.mode != "agent-chat":  # agents never cite retrievals
            metadata["retriever_resources"] = self.behaviour.retriever_resources
        return metadata

    def _error_event(self, ids: dict[str, str]) -> str:
        behaviour = self.behaviour
        return data(
            {
                "event": "error",
                "task_id": ids["task_id"],
                "message_id": ids["message_id"],
                "status": behaviour.error_status,
                "code": "completion_request_error",
                "message": behaviour.error_message,
            }
        )

    def _thought_events(self, ids: dict[str, str]) -> list[str]:
        """Each step is sent twice, as Dify does: first the thought and tool call, then again
        with the tool's observation."""
        parts = []
        for position, step in enumerate(self.behaviour.thoughts, start=1):
            thought_id = str(uuid.uuid4())
            first = {key: step.get(key, "") for key in ("thought", "tool", "tool_input")}
            for payload in (
                first | {"observation": ""},
                first | {"observation": step.get("observation", "")},
            ):
                parts.append(
                    data(
                        {
                            "event": "agent_thought",
                            "id": thought_id,
                            **ids,
                            "position": position,
                            **payload,
                            "message_files": [],
                            "created_at": CREATED,
                        }
                    )
                )
        return parts

    def _workflow_open(self, task: str) -> list[str]:
        run = str(uuid.uuid4())
        node = {
            "id": str(uuid.uuid4()),
            "node_id": "llm",
            "node_type": "llm",
            "title": "LLM",
            "index": 1,
            "predecessor_node_id": None,
            "inputs": {},
            "created_at": CREATED,
        }
        return [
            data(
                {
                    "event": "workflow_started",
                    "task_id": task,
                    "workflow_run_id": run,
                    "data": {"id": run, "workflow_id": "wf-fake", "created_at": CREATED},
                }
            ),
            data({"event": "node_started", "task_id": task, "workflow_run_id": run, "data": node}),
        ]

    def _workflow_close(self, task: str) -> list[str]:
        behaviour = self.behaviour
        prompt, completion = behaviour.usage
        failed = behaviour.workflow_status != "succeeded"
        outputs = behaviour.outputs if behaviour.outputs is not None else {"text": behaviour.reply}
        finished = {
            "status": behaviour.workflow_status,
            "error": "boom" if failed else None,
            "elapsed_time": 0.42,
            "total_tokens": prompt + completion,
            "created_at": CREATED,
        }
        return [
            data(
                {
                    "event": "node_finished",
                    "task_id": task,
                    "workflow_run_id": "run",
                    "data": {
                        "id": "n1",
                        "node_id": "llm",
                        "node_type": "llm",
                        "title": "LLM",
                        "index": 1,
                        "outputs": outputs,
                        **finished,
                    },
                }
            ),
            data(
                {
                    "event": "workflow_finished",
                    "task_id": task,
                    "workflow_run_id": "run",
                    "data": {
                        "id": "run",
                        "workflow_id": "wf-fake",
                        "outputs": outputs,
                        "total_steps": 2,
                        "finished_at": CREATED,
                        **finished,
                    },
                }
            ),
        ]

    def _workflow_events(self) -> list[str]:
        behaviour = self.behaviour
        task = str(uuid.uuid4())
        parts = [PING, *self._workflow_open(task)]
        if behaviour.stream_text:
            for index, text in enumerate(behaviour.content_chunks()):
                if behaviour.error_after is not None and index >= behaviour.error_after:
                    return [*parts, self._error_event({"task_id": task, "message_id": ""})]
                parts.append(
                    data(
                        {
                            "event": "text_chunk",
                            "task_id": task,
                            "workflow_run_id": "run",
                            "data": {"text": text, "from_variable_selector": ["llm", "text"]},
                        }
                    )
                )
        return parts + self._workflow_close(task)


PING = "event: ping\n\n"


def data(payload: dict[str, Any]) -> str:
    return f"data: {json.dumps(payload)}\n\n"
