"""The background runner of batch runs: an asyncio task per application (`app.state.batch_runner`).

The `batch_runs` table is the queue. Every `poll_interval` (or at once when woken) the runner
claims queued or running runs that nobody holds, or whose holder's heartbeat is older than
`stale_after`, with a conditional UPDATE (so two runners never both win), and executes each:

- the cells (row x model) without a stored result are queued per provider, and
  `concurrency_per_provider` workers per provider take them (the per-provider limit);
- a cell is one streamed model call through the unified layer, then its scores (the judge is a
  second call, limited per provider too); usage is recorded for both (sources batch / judge);
- each cell is committed on its own, in a transaction that first bumps the run's counters with
  `WHERE claimed_by = me AND status = 'running'`: a run that was cancelled, deleted or taken
  over stores nothing more, and a cell can never be stored twice (unique per run, row, model).

Stopping (server shutdown) cancels the calls in flight and releases the claims, so the next
start resumes at once; after a crash the claims go stale and are taken over. Either way only
the cells without a stored result are run: nothing done is redone, nothing stored is lost.
"""

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections import deque
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, func, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from llmforge.batch import scoring
from llmforge.batch.models import (
    ACTIVE_STATUSES,
    BatchResult,
    BatchRun,
    BatchTestRow,
    RunStatus,
)
from llmforge.calls.answer import Answer, cost_of, usage_entry
from llmforge.core.errors import NotFound, TooManyRequests
from llmforge.core.security import SecretBox
from llmforge.db import UTCDateTime, transaction, utcnow
from llmforge.llm import ChatMessage, ChatRequest, ClientRegistry, LLMClient, Usage
from llmforge.llm.tokens import estimate_usage
from llmforge.providers.models import Model, Provider
from llmforge.providers.schemas import ModelParameters
from llmforge.providers.service import client_for, usable_model
from llmforge.settings import Settings
from llmforge.usage.models import UsageSource
from llmforge.usage.quotas import ensure_within_budget
from llmforge.usage.recorder import UsageRecorder
from llmforge.users.models import User

logger = logging.getLogger("llmforge.batch")


@dataclass(frozen=True)
class RunnerServices:
    settings: Settings
    box: SecretBox
    clients: ClientRegistry
    recorder: UsageRecorder
    factory: async_sessionmaker[AsyncSession]


class RunStopped(Exception):
    """Ends a run's execution; `status` (when given) is written to the run."""

    def __init__(self, status: RunStatus | None = None, error: dict[str, Any] | None = None):
        super().__init__(status)
        self.status = status
        self.error = error


@dataclass
class Target:
    """A model as the run calls it; `missing` says why it cannot be called any more."""

    model_id: int
    model: Model | None = None
    provider: Provider | None = None
    client: LLMClient | None = None
    missing: str | None = None

    @property
    def limit_key(self) -> str:
        return f"provider:{self.provider.id}" if self.provider else f"missing:{self.model_id}"


@dataclass
class CompiledScorer:
    name: str
    type: str
    options: dict[str, Any]
    pattern: Any = None
    judge: Target | None = None


@dataclass
class Plan:
    run_id: int
    user_id: int
    concurrency: int
    targets: dict[int, Target]
    scorers: list[CompiledScorer]
    judge_limits: dict[str, asyncio.Semaphore] = field(default_factory=dict)
    budget_checked_at: float = 0.0


@dataclass
class Outcome:
    answer: str = ""
    reasoning: str = ""
    failed: bool = False
    error: dict[str, Any] | None = None
    latency_ms: float | None = None
    ttft_ms: float | None = None
    usage: Usage = field(default_factory=lambda: Usage(0, 0))
    cost: Any = None
    finish_reason: str | None = None
    scores: dict[str, Any] = field(default_factory=dict)


def chat_request(model: Model, system_prompt: str | None, prompt: str) -> ChatRequest:
    """The request for one cell, with the model's parameter presets."""
    parameters = ModelParameters.model_validate(model.parameters)
    system = [ChatMessage(role="system", content=system_prompt)] if system_prompt else []
    return ChatRequest(
        model=model.model_id,
        messages=(*system, ChatMessage(role="user", content=prompt)),
        temperature=parameters.temperature,
        top_p=parameters.top_p,
        max_tokens=parameters.max_tokens,
        presence_penalty=parameters.presence_penalty,
        frequency_penalty=parameters.frequency_penalty,
        stop=tuple(parameters.stop),
        reasoning_effort=parameters.reasoning_effort,
    )


class BatchRunner:
    def __init__(
        self,
        services: RunnerServices,
        *,
        poll_interval: float = 1.0,
        heartbeat_interval: float = 5.0,
        stale_after: float = 30.0,
        max_runs: int = 4,
        budget_check_interval: float = 1.0,
        runner_id: str | None = None,
    ) -> None:
        self.services = services
        self.id = runner_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.poll_interval = poll_interval
        self.heartbeat_interval = heartbeat_interval
        self.stale_after = stale_after
        self.max_runs = max_runs
        self.budget_check_interval = budget_check_interval
        self._runs: dict[int, asyncio.Task[None]] = {}
        self._background: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name=f"batch-runner {self.id}")

    async def stop(self, *, release: bool = True) -> None:
        """Cancel everything in flight; with `release`, hand the claims back so that the next
        runner resumes at once (without, they are taken over once their heartbeat is stale)."""
        tasks = [task for task in (self._task, *self._runs.values()) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*self._background, return_exceptions=True)
        self._task = None
        if release:
            async with transaction(self.services.factory) as session:
                await session.execute(
                    update(BatchRun)
                    .where(BatchRun.claimed_by == self.id, BatchRun.status.in_(ACTIVE_STATUSES))
                    .values(claimed_by=None, heartbeat_at=None)
                )

    def wake(self) -> None:
        """Look for work now (a run was created)."""
        self._wake.set()

    def cancel(self, run_id: int) -> None:
        """Stop a run's calls at once (its status was already set by the caller)."""
        task = self._runs.get(run_id)
        if task is not None:
            task.cancel()

    @property
    def active_runs(self) -> list[int]:
        return sorted(self._runs)

    async def _loop(self) -> None:
        last_beat = 0.0
        while True:
            try:
                if time.monotonic() - last_beat >= self.heartbeat_interval:
                    await self._heartbeat()
                    last_beat = time.monotonic()
                await self._claim()
            except Exception:
                logger.exception("batch runner %s: could not poll for runs", self.id)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_interval)
            self._wake.clear()

    # -- the queue --------------------------------------------------------------------------

    def _claimable(self) -> Any:
        stale = utcnow() - timedelta(seconds=self.stale_after)
        return and_(
            BatchRun.status.in_(ACTIVE_STATUSES),
            or_(
                BatchRun.claimed_by.is_(None),
                BatchRun.claimed_by == self.id,
                BatchRun.heartbeat_at.is_(None),
                BatchRun.heartbeat_at < stale,
            ),
        )

    async def _claim(self) -> None:
        free = self.max_runs - len(self._runs)
        if free <= 0:
            return
        async with self.services.factory() as session:
            candidates = list(
                await session.scalars(
                    select(BatchRun.id)
                    .where(self._claimable(), BatchRun.id.not_in(list(self._runs) or [0]))
                    .order_by(BatchRun.id)
                    .limit(free)
                )
            )
        for run_id in candidates:
            now = utcnow()
            async with transaction(self.services.factory) as session:
                claimed = await session.execute(
                    update(BatchRun)
                    .where(BatchRun.id == run_id, self._claimable())
                    .values(
                        claimed_by=self.id,
                        claimed_at=now,
                        heartbeat_at=now,
                        status=RunStatus.running,
                        started_at=func.coalesce(BatchRun.started_at, literal(now, UTCDateTime())),
                        done_at_claim=BatchRun.done_cells,
                    )
                )
            if getattr(claimed, "rowcount", 0) == 1:
                logger.info("batch runner %s: claimed run %d", self.id, run_id)
                self._runs[run_id] = asyncio.create_task(
                    self._execute(run_id), name=f"batch-run {run_id}"
                )

    async def _heartbeat(self) -> None:
        """Keep the claims fresh; stop runs that were cancelled or taken over elsewhere."""
        mine = list(self._runs)
        if not mine:
            return
        async with transaction(self.services.factory) as session:
            await session.execute(
                update(BatchRun)
                .where(BatchRun.claimed_by == self.id, BatchRun.status == RunStatus.running)
                .values(heartbeat_at=utcnow())
            )
            alive = set(
                await session.scalars(
                    select(BatchRun.id).where(
                        BatchRun.id.in_(mine),
                        BatchRun.claimed_by == self.id,
                        BatchRun.status == RunStatus.running,
                    )
                )
            )
        for run_id in mine:
            task = self._runs.get(run_id)
            if run_id not in alive and task is not None:
                task.cancel()

    # -- one run ----------------------------------------------------------------------------

    async def _execute(self, run_id: int) -> None:
        try:
            plan, queues = await self._prepare(run_id)
            await self._work(plan, queues)
            await self._finish(run_id, RunStatus.completed)
        except RunStopped as stop:
            if stop.status is not None:
                await self._finish(run_id, stop.status, stop.error)
        except Exception as exc:
            logger.exception("batch run %d failed", run_id)
            error = {"code": "internal_error", "message": f"The run stopped: {type(exc).__name__}"}
            with contextlib.suppress(Exception):
                await self._finish(run_id, RunStatus.failed, error)
        finally:
            self._runs.pop(run_id, None)

    async def _finish(
        self, run_id: int, status: RunStatus, error: dict[str, Any] | None = None
    ) -> None:
        async with transaction(self.services.factory) as session:
            await session.execute(
                update(BatchRun)
                .where(
                    BatchRun.id == run_id,
                    BatchRun.claimed_by == self.id,
                    BatchRun.status == RunStatus.running,
                )
                .values(
                    status=status,
                    error=error,
                    finished_at=utcnow(),
                    claimed_by=None,
                    heartbeat_at=None,
                )
            )
        logger.info("batch run %d %s", run_id, status.value)

    async def _target(self, session: AsyncSession, user: User, model_id: int) -> Target:
        try:
            model, provider = await usable_model(session, user, model_id)
        except NotFound as exc:
            return Target(model_id, missing=exc.message)
        client = client_for(provider, self.services.box, self.services.clients)
        return Target(model_id, model, provider, client)

    async def _prepare(self, run_id: int) -> tuple[Plan, dict[str, deque[tuple[Any, int]]]]:
        async with self.services.factory() as session:
            run = await session.get(BatchRun, run_id)
            if run is None or run.claimed_by != self.id:
                raise RunStopped()
            user = await session.get(User, run.user_id)
            if user is None:
                raise RunStopped()
            targets = {m["id"]: await self._target(session, user, m["id"]) for m in run.models}
            scorers = []
            for spec in run.scorers:
                options = {k: v for k, v in spec.items() if k not in ("name", "type")}
                scorer = CompiledScorer(spec["name"], spec["type"], options)
                if scorer.type == "regex":
                    scorer.pattern = scoring.compile_pattern(
                        options["pattern"], ignore_case=bool(options.get("ignore_case"))
                    )
                if scorer.type == "judge":
                    scorer.judge = await self._target(session, user, int(options["judge_model_id"]))
                scorers.append(scorer)
            rows = list(
                await session.scalars(
                    select(BatchTestRow)
                    .where(BatchTestRow.set_id == run.set_id)
                    .order_by(BatchTestRow.position)
                )
            )
            done = {
                (row_id, model_id)
                for row_id, model_id in await session.execute(
                    select(BatchResult.row_id, BatchResult.model_id).where(
                        BatchResult.run_id == run_id
                    )
                )
            }
        plan = Plan(run_id, run.user_id, run.concurrency_per_provider, targets, scorers)
        queues: dict[str, deque[tuple[Any, int]]] = {}
        for row in rows:
            for model_id, target in targets.items():
                if (row.id, model_id) not in done:
                    queues.setdefault(target.limit_key, deque()).append((row, model_id))
        logger.info(
            "batch run %d: %d cells to run, %d already done",
            run_id,
            sum(len(queue) for queue in queues.values()),
            len(done),
        )
        return plan, queues

    async def _work(self, plan: Plan, queues: dict[str, deque[tuple[Any, int]]]) -> None:
        workers = [
            asyncio.create_task(self._worker(plan, queue))
            for queue in queues.values()
            for _ in range(min(plan.concurrency, len(queue)))
        ]
        if not workers:
            return
        try:
            done, _ = await asyncio.wait(workers, return_when=asyncio.FIRST_EXCEPTION)
        finally:
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
        for worker in done:
            error = worker.exception()
            if error is not None:
                raise error

    async def _worker(self, plan: Plan, queue: deque[tuple[Any, int]]) -> None:
        while queue:
            row, model_id = queue.popleft()
            outcome = await self._run_cell(plan, row, model_id)
            await self._store(plan, row.id, model_id, outcome)

    # -- one cell ---------------------------------------------------------------------------

    async def _check_budget(self, plan: Plan) -> None:
        now = time.monotonic()
        if now - plan.budget_checked_at < self.budget_check_interval:
            return
        plan.budget_checked_at = now
        services = self.services
        async with services.factory() as session:
            try:
                await ensure_within_budget(
                    session, services.settings, services.recorder, plan.user_id
                )
            except TooManyRequests as exc:
                raise RunStopped(
                    RunStatus.failed, {"code": exc.code, "message": exc.message}
                ) from None

    async def _call(
        self, plan: Plan, target: Target, request: ChatRequest, source: UsageSource
    ) -> tuple[Answer, Usage, dict[str, float | None]]:
        """One streamed call, metered; a call cut off by a stop is recorded as interrupted."""
        assert target.client and target.model and target.provider
        answer = Answer()
        try:
            async with aclosing(target.client.stream(request)) as events:
                async for event in events:
                    answer.accept(event)
        except asyncio.CancelledError:
            self._record_later(plan, target, request, answer, source)
            raise
        usage = answer.usage or await estimate_usage(request.messages, answer.text)
        timings = answer.timings()
        self.services.recorder.record(
            usage_entry(
                user_id=plan.user_id,
                model=target.model,
                provider=target.provider,
                source=source,
                usage=usage,
                timings=timings,
                status="error" if answer.failed else "complete",
            )
        )
        return answer, usage, timings

    def _record_later(
        self,
        plan: Plan,
        target: Target,
        request: ChatRequest,
        answer: Answer,
        source: UsageSource,
    ) -> None:
        async def record() -> None:
            assert target.model and target.provider
            usage = answer.usage or await estimate_usage(request.messages, answer.text)
            self.services.recorder.record(
                usage_entry(
                    user_id=plan.user_id,
                    model=target.model,
                    provider=target.provider,
                    source=source,
                    usage=usage,
                    timings=answer.timings(),
                    status="interrupted",
                )
            )

        task = asyncio.get_running_loop().create_task(record())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _run_cell(self, plan: Plan, row: BatchTestRow, model_id: int) -> Outcome:
        target = plan.targets[model_id]
        if target.missing or target.model is None:
            error = {"code": "model_not_found", "message": target.missing or "gone"}
            return Outcome(failed=True, error=error, scores=self._unscored(plan, "no answer"))
        await self._check_budget(plan)
        request = chat_request(target.model, row.system_prompt, row.prompt)
        answer, usage, timings = await self._call(plan, target, request, UsageSource.batch)
        outcome = Outcome(
            answer=answer.text,
            reasoning=answer.reasoning_text,
            failed=answer.failed,
            error=(
                {"code": f"upstream_{answer.error.kind}", "message": answer.error.message}
                if answer.error
                else None
            ),
            latency_ms=timings["latency_ms"],
            ttft_ms=timings["ttft_ms"],
            usage=usage,
            cost=cost_of(target.model, usage),
            finish_reason=answer.finish.reason if answer.finish else None,
        )
        if answer.failed:
            outcome.scores = self._unscored(plan, "the model call failed")
        else:
            outcome.scores = await self._score(plan, row, answer.text)
        return outcome

    @staticmethod
    def _unscored(plan: Plan, reason: str) -> dict[str, Any]:
        return {scorer.name: scoring.Score(None, None, reason).as_dict() for scorer in plan.scorers}

    async def _score(self, plan: Plan, row: BatchTestRow, answer: str) -> dict[str, Any]:
        scores: dict[str, Any] = {}
        for scorer in plan.scorers:
            normalized = bool(scorer.options.get("normalize", True))
            if scorer.type == "exact":
                score = scoring.exact_match(answer, row.reference, normalized=normalized)
            elif scorer.type == "contains":
                score = scoring.contains(answer, row.reference, normalized=normalized)
            elif scorer.type == "regex":
                score = scoring.regex_match(answer, scorer.pattern)
            elif scorer.type == "similarity":
                threshold = float(scorer.options.get("threshold", 0.8))
                score = await asyncio.to_thread(
                    scoring.similarity, answer, row.reference, threshold=threshold
                )
            else:
                score = await self._judge(plan, scorer, row, answer)
            scores[scorer.name] = score.as_dict()
        return scores

    async def _judge(
        self, plan: Plan, scorer: CompiledScorer, row: BatchTestRow, answer: str
    ) -> scoring.Score:
        judge = scorer.judge
        if judge is None or judge.model is None:
            reason = judge.missing if judge else "no judge model"
            return scoring.Score(None, None, f"The judge model is not available: {reason}")
        await self._check_budget(plan)
        question = f"{row.system_prompt}\n\n{row.prompt}" if row.system_prompt else row.prompt
        prompt = scoring.judge_prompt(
            rubric=str(scorer.options["rubric"]),
            question=question,
            reference=row.reference,
            answer=answer,
        )
        request = chat_request(judge.model, scoring.JUDGE_SYSTEM_PROMPT, prompt)
        limit = plan.judge_limits.setdefault(judge.limit_key, asyncio.Semaphore(plan.concurrency))
        async with limit:
            reply, _, _ = await self._call(plan, judge, request, UsageSource.judge)
        if reply.error:
            return scoring.Score(None, None, f"The judge call failed: {reply.error.message}")
        return scoring.parse_judge_reply(reply.text)

    async def _store(self, plan: Plan, row_id: int, model_id: int, outcome: Outcome) -> None:
        try:
            async with transaction(self.services.factory) as session:
                counted = await session.execute(
                    update(BatchRun)
                    .where(
                        BatchRun.id == plan.run_id,
                        BatchRun.claimed_by == self.id,
                        BatchRun.status == RunStatus.running,
                    )
                    .values(
                        done_cells=BatchRun.done_cells + 1,
                        error_cells=BatchRun.error_cells + (1 if outcome.failed else 0),
                        heartbeat_at=utcnow(),
                    )
                )
                if getattr(counted, "rowcount", 0) != 1:
                    raise RunStopped()  # cancelled, deleted or taken over: store nothing
                session.add(
                    BatchResult(
                        run_id=plan.run_id,
                        row_id=row_id,
                        model_id=model_id,
                        answer=outcome.answer,
                        reasoning=outcome.reasoning,
                        failed=outcome.failed,
                        error=outcome.error,
                        latency_ms=outcome.latency_ms,
                        ttft_ms=outcome.ttft_ms,
                        input_tokens=outcome.usage.input_tokens,
                        output_tokens=outcome.usage.output_tokens,
                        tokens_estimated=outcome.usage.estimated,
                        cost=outcome.cost,
                        finish_reason=outcome.finish_reason,
                        scores=outcome.scores,
                    )
                )
        except IntegrityError:
            logger.warning(
                "batch run %d: cell (row %d, model %d) was already stored",
                plan.run_id,
                row_id,
                model_id,
            )
