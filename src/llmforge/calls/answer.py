"""One metered model call as it streams: what arrived, its timings, cost and usage entry.
Shared by everything that streams a model's answer (chat, comparison, batch runs)."""

import json
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sse_starlette import ServerSentEvent

from llmforge.llm import (
    Citations,
    ContentDelta,
    Event,
    Finish,
    ReasoningDelta,
    StreamError,
    Usage,
)
from llmforge.providers.models import Model, Provider
from llmforge.usage.models import UsageSource
from llmforge.usage.recorder import UsageEntry

PER_MILLION = Decimal(1_000_000)


@dataclass
class Answer:
    """What has arrived so far, kept in memory until the answer is saved."""

    started: float = field(default_factory=time.perf_counter)
    content: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    first_token_at: float | None = None
    reasoning_ended_at: float | None = None
    usage: Usage | None = None
    finish: Finish | None = None
    error: StreamError | None = None
    citations: list[dict[str, Any]] | None = None

    def accept(self, event: Event) -> tuple[str, dict[str, Any]] | None:
        """Record one event; return the SSE event (name, data) to send, if any."""
        now = time.perf_counter()
        if isinstance(event, ContentDelta | ReasoningDelta):
            self.first_token_at = self.first_token_at or now
        if isinstance(event, ContentDelta):
            if self.reasoning and self.reasoning_ended_at is None:
                self.reasoning_ended_at = now
            self.content.append(event.text)
            return "content", {"text": event.text}
        if isinstance(event, ReasoningDelta):
            self.reasoning.append(event.text)
            return "reasoning", {"text": event.text}
        if isinstance(event, Usage):
            self.usage = event
            return "usage", {
                "input_tokens": event.input_tokens,
                "output_tokens": event.output_tokens,
                "estimated": event.estimated,
            }
        if isinstance(event, Finish):
            self.finish = event
            return None
        if isinstance(event, Citations):  # the caller decides whether its client shows them
            self.citations = list(event.sources)
            return None
        self.error = event
        return "error", {"code": f"upstream_{event.kind}", "message": event.message}

    @property
    def failed(self) -> bool:
        return self.error is not None

    @property
    def text(self) -> str:
        return "".join(self.content)

    @property
    def reasoning_text(self) -> str:
        return "".join(self.reasoning)

    def timings(self) -> dict[str, float | None]:
        def since_start(moment: float | None) -> float | None:
            return round((moment - self.started) * 1000, 1) if moment else None

        reasoning_ms = None
        if self.reasoning and self.first_token_at is not None:
            end = self.reasoning_ended_at or time.perf_counter()
            reasoning_ms = round((end - self.first_token_at) * 1000, 1)
        return {
            "ttft_ms": since_start(self.first_token_at),
            "latency_ms": since_start(time.perf_counter()),
            "reasoning_ms": reasoning_ms,
        }


def cost_of(model: Model, usage: Usage) -> Decimal | None:
    """Cost from the model's prices per million tokens; None when it has no prices."""
    if model.input_price_per_mtok is None and model.output_price_per_mtok is None:
        return None
    spent = Decimal(usage.input_tokens) * (model.input_price_per_mtok or 0) + Decimal(
        usage.output_tokens
    ) * (model.output_price_per_mtok or 0)
    return spent / PER_MILLION


def usage_entry(
    *,
    user_id: int,
    model: Model,
    provider: Provider,
    source: UsageSource,
    usage: Usage,
    timings: dict[str, float | None],
    status: str,
) -> UsageEntry:
    return UsageEntry(
        user_id=user_id,
        model_id=model.id,
        model_name=model.display_name,
        provider_id=provider.id,
        provider_name=provider.name,
        source=source,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        estimated=usage.estimated,
        cost=cost_of(model, usage) or Decimal(0),
        latency_ms=timings["latency_ms"],
        ttft_ms=timings["ttft_ms"],
        status=status,
    )


def sse_event(name: str, data: Any) -> ServerSentEvent:
    return ServerSentEvent(data=json.dumps(data, default=str, ensure_ascii=False), event=name)
