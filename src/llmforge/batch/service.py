"""Test sets and runs: creation with validation, ownership, progress, summaries, the results
matrix and exports. No FastAPI here; the background execution lives in runner.py."""

import asyncio
import csv
import io
import json
import math
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from llmforge.batch.models import (
    ACTIVE_STATUSES,
    BatchResult,
    BatchRun,
    BatchTestRow,
    BatchTestSet,
    RunStatus,
)
from llmforge.batch.parsing import MAX_REPORTED_ERRORS, ParseResult
from llmforge.batch.schemas import (
    CellRead,
    ModelSummary,
    Progress,
    ResultRow,
    RowRead,
    RunCreate,
    RunDetail,
    RunModel,
    RunRead,
)
from llmforge.batch.scoring import compile_pattern
from llmforge.core.errors import Conflict, InvalidInput, NotFound
from llmforge.core.pagination import PageParams, paginate
from llmforge.db import utcnow
from llmforge.providers.service import usable_model
from llmforge.settings import Settings
from llmforge.usage.quotas import ensure_within_budget
from llmforge.usage.recorder import UsageRecorder
from llmforge.users.models import User

# -- test sets --------------------------------------------------------------------------------


def ensure_valid(parsed: ParseResult) -> None:
    """Nothing is created from a set with any problem: all of them are reported at once."""
    if parsed.ok:
        return
    total = len(parsed.errors)
    shown = [{"row": e.row, "message": e.message} for e in parsed.errors[:MAX_REPORTED_ERRORS]]
    first = parsed.errors[0]
    where = f"row {first.row}: " if first.row is not None else ""
    raise InvalidInput(
        f"The test set has {total} problem{'s' if total > 1 else ''} and was not created "
        f"({where}{first.message}).",
        code="invalid_test_set",
        details={"errors": shown, "error_count": total},
    )


async def create_set(
    session: AsyncSession, user: User, name: str, source: str, parsed: ParseResult
) -> BatchTestSet:
    ensure_valid(parsed)
    test_set = BatchTestSet(user_id=user.id, name=name, source=source, row_count=len(parsed.rows))
    session.add(test_set)
    await session.flush()
    await _insert_rows(session, test_set, parsed)
    return test_set


async def replace_set(
    session: AsyncSession, test_set: BatchTestSet, name: str, parsed: ParseResult
) -> BatchTestSet:
    """Rename the set and replace all its rows (it becomes a set built in the page). Refused
    while any run of it exists: their results point at its rows."""
    ensure_valid(parsed)
    runs = await session.scalar(
        select(func.count()).select_from(BatchRun).where(BatchRun.set_id == test_set.id)
    )
    if runs:
        raise Conflict(
            "This test set has runs whose results refer to its rows: save your changes as a "
            "new test set, or delete its runs first.",
            code="test_set_has_runs",
        )
    await session.execute(delete(BatchTestRow).where(BatchTestRow.set_id == test_set.id))
    test_set.name = name
    test_set.source = "json"
    test_set.row_count = len(parsed.rows)
    await session.flush()
    await _insert_rows(session, test_set, parsed)
    return test_set


async def _insert_rows(session: AsyncSession, test_set: BatchTestSet, parsed: ParseResult) -> None:
    values = [
        {
            "set_id": test_set.id,
            "position": position,
            "source_row": row.source_row,
            "prompt": row.prompt,
            "reference": row.reference,
            "system_prompt": row.system_prompt,
            "tags": row.tags,
        }
        for position, row in enumerate(parsed.rows, start=1)
    ]
    for start in range(0, len(values), 1000):
        await session.execute(insert(BatchTestRow), values[start : start + 1000])


async def owned_set(session: AsyncSession, user: User, set_id: int) -> BatchTestSet:
    test_set = await session.get(BatchTestSet, set_id)
    if test_set is None or test_set.user_id != user.id:
        raise NotFound(f"Test set {set_id} does not exist.", code="test_set_not_found")
    return test_set


async def list_sets(
    session: AsyncSession, user: User, params: PageParams
) -> tuple[list[BatchTestSet], int]:
    statement = (
        select(BatchTestSet)
        .where(BatchTestSet.user_id == user.id)
        .order_by(BatchTestSet.created_at.desc(), BatchTestSet.id.desc())
    )
    return await paginate(session, statement, params)


async def set_rows(
    session: AsyncSession, test_set: BatchTestSet, params: PageParams
) -> tuple[list[BatchTestRow], int]:
    statement = (
        select(BatchTestRow)
        .where(BatchTestRow.set_id == test_set.id)
        .order_by(BatchTestRow.position)
    )
    return await paginate(session, statement, params)


async def delete_set(session: AsyncSession, test_set: BatchTestSet) -> None:
    """Deleting a set deletes its finished runs and their results too."""
    active = await session.scalar(
        select(func.count())
        .select_from(BatchRun)
        .where(BatchRun.set_id == test_set.id, BatchRun.status.in_(ACTIVE_STATUSES))
    )
    if active:
        raise Conflict(
            "A run of this test set is still going: cancel it or let it finish first.",
            code="test_set_in_use",
        )
    await session.execute(delete(BatchRun).where(BatchRun.set_id == test_set.id))
    await session.delete(test_set)
    await session.flush()


# -- runs -------------------------------------------------------------------------------------


def _scorer_name(scorer: Any) -> str:
    return str(scorer.name or scorer.type)


async def create_run(
    session: AsyncSession,
    settings: Settings,
    recorder: UsageRecorder,
    user: User,
    data: RunCreate,
) -> BatchRun:
    test_set = await owned_set(session, user, data.set_id)
    models = [await usable_model(session, user, model_id) for model_id in data.model_ids]
    scorers: list[dict[str, Any]] = []
    for scorer in data.scorers:
        name = _scorer_name(scorer)
        if scorer.type == "regex":
            try:
                compile_pattern(scorer.pattern, ignore_case=scorer.ignore_case)
            except ValueError as exc:
                raise InvalidInput(
                    f"Scorer '{name}': {exc}.", code="invalid_regex", details={"scorer": name}
                ) from None
        if scorer.type == "judge":
            judge, _ = await usable_model(session, user, scorer.judge_model_id)
            if "chat" not in judge.capabilities:
                raise InvalidInput(
                    f"The judge model '{judge.display_name}' cannot chat; choose a chat model.",
                    code="judge_not_chat",
                    details={"scorer": name},
                )
        scorers.append({**scorer.model_dump(mode="json"), "name": name})
    await ensure_within_budget(session, settings, recorder, user.id)
    run = BatchRun(
        user_id=user.id,
        set_id=test_set.id,
        set_name=test_set.name,
        status=RunStatus.queued,
        models=[
            {
                "id": model.id,
                "name": model.display_name,
                "provider_id": provider.id,
                "provider_name": provider.name,
            }
            for model, provider in models
        ],
        scorers=scorers,
        concurrency_per_provider=data.concurrency_per_provider,
        total_cells=test_set.row_count * len(models),
    )
    session.add(run)
    await session.flush()
    return run


async def owned_run(session: AsyncSession, user: User, run_id: int) -> BatchRun:
    run = await session.get(BatchRun, run_id)
    if run is None or run.user_id != user.id:
        raise NotFound(f"Batch run {run_id} does not exist.", code="batch_run_not_found")
    return run


async def list_runs(
    session: AsyncSession, user: User, params: PageParams, set_id: int | None = None
) -> tuple[list[BatchRun], int]:
    statement = select(BatchRun).where(BatchRun.user_id == user.id)
    if set_id is not None:
        statement = statement.where(BatchRun.set_id == set_id)
    return await paginate(
        session, statement.order_by(BatchRun.created_at.desc(), BatchRun.id.desc()), params
    )


async def cancel_run(session: AsyncSession, run: BatchRun) -> None:
    if run.status not in ACTIVE_STATUSES:
        raise Conflict(f"The run is already {run.status.value}.", code="run_not_active")
    run.status = RunStatus.cancelled
    run.finished_at = utcnow()
    run.claimed_by = None
    run.heartbeat_at = None
    await session.flush()


async def delete_run(session: AsyncSession, run: BatchRun) -> None:
    if run.status in ACTIVE_STATUSES:
        raise Conflict("Cancel the run before deleting it.", code="run_active")
    await session.delete(run)
    await session.flush()


def eta_seconds(run: BatchRun, now: datetime | None = None) -> float | None:
    """Remaining cells at the rate seen since the current claim began (so the time a stopped
    server was down does not count)."""
    if run.status is not RunStatus.running or run.claimed_at is None:
        return None
    done_since = run.done_cells - run.done_at_claim
    if done_since <= 0:
        return None
    elapsed = ((now or utcnow()) - run.claimed_at).total_seconds()
    remaining = max(0, run.total_cells - run.done_cells)
    return round(remaining * elapsed / done_since, 1)


def run_read(run: BatchRun) -> RunRead:
    percent = 100.0 if run.total_cells == 0 else run.done_cells * 100 / run.total_cells
    return RunRead(
        id=run.id,
        set_id=run.set_id,
        set_name=run.set_name,
        status=run.status,
        models=[RunModel.model_validate(model) for model in run.models],
        scorers=run.scorers,
        concurrency_per_provider=run.concurrency_per_provider,
        progress=Progress(
            done=run.done_cells,
            total=run.total_cells,
            errors=run.error_cells,
            percent=round(percent, 1),
        ),
        eta_seconds=eta_seconds(run),
        error=run.error,
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
    )


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def p95(values: list[float]) -> float | None:
    """Nearest-rank 95th percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def summarize(run: BatchRun, results: list[tuple[Any, ...]]) -> list[ModelSummary]:
    """Per model: latency and TTFT over the successful cells; tokens, cost and errors over all
    done cells; the mean of each scorer's non-null scores. Blocking for big runs: use a thread."""
    by_model: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for result in results:
        by_model[result[0]].append(result)
    rows = run.total_cells // len(run.models) if run.models else 0
    names = [scorer["name"] for scorer in run.scorers]
    summaries = []
    for model in run.models:
        cells = by_model.get(model["id"], [])
        ok = [cell for cell in cells if not cell[1]]
        costs = [Decimal(cell[6]) for cell in cells if cell[6] is not None]
        scores: dict[str, float | None] = {}
        for name in names:
            values = [
                float(cell[7][name]["score"])
                for cell in cells
                if isinstance(cell[7], dict) and (cell[7].get(name) or {}).get("score") is not None
            ]
            scores[name] = round(sum(values) / len(values), 4) if values else None
        summaries.append(
            ModelSummary(
                model_id=model["id"],
                model_name=model["name"],
                provider_name=model["provider_name"],
                cells=rows,
                done=len(cells),
                errors=len(cells) - len(ok),
                mean_latency_ms=_mean([c[2] for c in ok if c[2] is not None]),
                p95_latency_ms=p95([c[2] for c in ok if c[2] is not None]),
                mean_ttft_ms=_mean([c[3] for c in ok if c[3] is not None]),
                input_tokens=sum(int(c[4]) for c in cells),
                output_tokens=sum(int(c[5]) for c in cells),
                total_cost=sum(costs, Decimal(0)) if costs else None,
                scores=scores,
            )
        )
    return summaries


async def run_detail(session: AsyncSession, run: BatchRun) -> RunDetail:
    results = (
        await session.execute(
            select(
                BatchResult.model_id,
                BatchResult.failed,
                BatchResult.latency_ms,
                BatchResult.ttft_ms,
                BatchResult.input_tokens,
                BatchResult.output_tokens,
                BatchResult.cost,
                BatchResult.scores,
            ).where(BatchResult.run_id == run.id)
        )
    ).all()
    summary = await asyncio.to_thread(summarize, run, [tuple(row) for row in results])
    return RunDetail(**run_read(run).model_dump(), summary=summary)


def _cell(result: BatchResult) -> CellRead:
    return CellRead(
        model_id=result.model_id,
        failed=result.failed,
        answer=result.answer,
        reasoning=result.reasoning,
        error=result.error,
        latency_ms=result.latency_ms,
        ttft_ms=result.ttft_ms,
        input_tokens=result.input_tokens,
        output_tokens=result.output_tokens,
        tokens_estimated=result.tokens_estimated,
        cost=result.cost,
        finish_reason=result.finish_reason,
        scores=result.scores,
    )


def _result_rows(
    run: BatchRun, rows: list[BatchTestRow], results: list[BatchResult]
) -> list[ResultRow]:
    cells: dict[tuple[int, int], BatchResult] = {(r.row_id, r.model_id): r for r in results}
    out = []
    for row in rows:
        matrix: dict[str, CellRead | None] = {}
        for model in run.models:
            found = cells.get((row.id, model["id"]))
            matrix[str(model["id"])] = _cell(found) if found else None
        out.append(
            ResultRow(
                row_id=row.id,
                **RowRead.model_validate(row).model_dump(exclude={"id"}),
                cells=matrix,
            )
        )
    return out


async def _results_for(session: AsyncSession, run: BatchRun, row_ids: list[int]) -> list[Any]:
    found: list[Any] = []
    for start in range(0, len(row_ids), 500):
        chunk = row_ids[start : start + 500]
        found.extend(
            await session.scalars(
                select(BatchResult).where(
                    BatchResult.run_id == run.id, BatchResult.row_id.in_(chunk)
                )
            )
        )
    return found


async def results_page(
    session: AsyncSession, run: BatchRun, params: PageParams
) -> tuple[list[ResultRow], int]:
    statement = (
        select(BatchTestRow)
        .where(BatchTestRow.set_id == run.set_id)
        .order_by(BatchTestRow.position)
    )
    rows, total = await paginate(session, statement, params)
    results = await _results_for(session, run, [row.id for row in rows])
    return _result_rows(run, rows, results), total


async def all_results(session: AsyncSession, run: BatchRun) -> list[ResultRow]:
    rows = list(
        await session.scalars(
            select(BatchTestRow)
            .where(BatchTestRow.set_id == run.set_id)
            .order_by(BatchTestRow.position)
        )
    )
    results = list(await session.scalars(select(BatchResult).where(BatchResult.run_id == run.id)))
    return await asyncio.to_thread(_result_rows, run, rows, results)


# -- export -----------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "@", "\t", "\r")


def _safe(value: Any) -> Any:
    """Spreadsheets run cells that start like a formula: such text gets a leading quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def export_csv(run: BatchRun, rows: list[ResultRow]) -> str:
    """One line per cell (row x model); a pending cell has status `pending`."""
    names = [scorer["name"] for scorer in run.scorers]
    models = {model["id"]: model for model in run.models}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "row",
            "source_row",
            "prompt",
            "reference",
            "system_prompt",
            "tags",
            "model_id",
            "model",
            "provider",
            "status",
            "answer",
            "error",
            "latency_ms",
            "ttft_ms",
            "input_tokens",
            "output_tokens",
            "cost",
            "finish_reason",
            *[f"{name}_{part}" for name in names for part in ("score", "reason")],
        ]
    )
    for row in rows:
        for key, cell in row.cells.items():
            model = models[int(key)]
            base = [
                row.position,
                row.source_row,
                row.prompt,
                row.reference or "",
                row.system_prompt or "",
                ";".join(row.tags),
                model["id"],
                model["name"],
                model["provider_name"],
            ]
            if cell is None:
                writer.writerow([_safe(v) for v in [*base, "pending"]])
                continue
            scores: list[Any] = []
            for name in names:
                score = cell.scores.get(name) or {}
                scores += [score.get("score"), score.get("reason") or ""]
            writer.writerow(
                [
                    _safe(value)
                    for value in [
                        *base,
                        "error" if cell.failed else "ok",
                        cell.answer,
                        (cell.error or {}).get("message", ""),
                        cell.latency_ms,
                        cell.ttft_ms,
                        cell.input_tokens,
                        cell.output_tokens,
                        cell.cost,
                        cell.finish_reason or "",
                        *scores,
                    ]
                ]
            )
    return out.getvalue()


def export_json(detail: RunDetail, rows: list[ResultRow]) -> str:
    return json.dumps(
        {
            "run": detail.model_dump(mode="json"),
            "rows": [row.model_dump(mode="json") for row in rows],
        },
        ensure_ascii=False,
    )
