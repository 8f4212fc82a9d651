"""A run survives a server restart: the runner is stopped mid-run (as a shutdown or a crash
would), a new runner starts on the same database, and the run finishes without redoing any cell
that was already stored (counted at the fake provider) and without losing any."""

import time

import httpx
import pytest
from sqlalchemy import func, select

from llmforge.batch.models import BatchResult, BatchRun
from llmforge.batch.runner import BatchRunner
from tests.batch.helpers import (
    add_model,
    chat_calls,
    make_set,
    start_new_runner,
    start_run,
    stop_runner,
    wait_run,
)
from tests.conftest import LiveServer
from tests.fakes.openai import FakeOpenAI

ROWS = 12


def stored_cells(server: LiveServer, run_id: int) -> list[tuple[int, int]]:
    async def cells(session):  # type: ignore[no-untyped-def]
        rows = await session.execute(
            select(BatchResult.row_id, BatchResult.model_id).where(BatchResult.run_id == run_id)
        )
        return [tuple(row) for row in rows]

    return server.db(cells)  # type: ignore[no-any-return]


def claim_of(server: LiveServer, run_id: int) -> str | None:
    return server.db(  # type: ignore[no-any-return]
        lambda session: session.scalar(select(BatchRun.claimed_by).where(BatchRun.id == run_id))
    )


@pytest.mark.parametrize("shutdown", ["graceful", "crash"])
def test_a_run_resumes_after_a_restart_without_redoing_cells(
    server: LiveServer,
    admin: httpx.Client,
    alice: httpx.Client,
    fake_a: FakeOpenAI,
    fake_b: FakeOpenAI,
    shutdown: str,
) -> None:
    model_a = add_model(admin, "Fake A", fake_a)
    model_b = add_model(admin, "Fake B", fake_b)
    for fake in (fake_a, fake_b):
        fake.behaviour.token_delay = 0.04  # about 0.35 s a call
    total = ROWS * 2
    set_id = make_set(alice, [{"prompt": f"question {i}", "reference": "x"} for i in range(ROWS)])
    run_id = start_run(
        alice,
        set_id,
        [model_a, model_b],
        scorers=[{"type": "contains"}],
        concurrency_per_provider=2,
    )
    running = wait_run(alice, run_id, done=6)
    assert running["status"] == "running" and running["eta_seconds"] > 0

    old = stop_runner(server, release=shutdown == "graceful")
    done_before = stored_cells(server, run_id)
    calls_before = chat_calls(fake_a) + chat_calls(fake_b)
    assert 6 <= len(done_before) < total
    stopped = alice.get(f"/api/batch-tests/runs/{run_id}").json()
    assert stopped["status"] == "running" and stopped["progress"]["done"] == len(done_before)
    if shutdown == "graceful":
        assert claim_of(server, run_id) is None  # handed back for the next start
    else:
        assert claim_of(server, run_id) == old.id  # left behind, taken over once stale
    time.sleep(0.3)
    assert chat_calls(fake_a) + chat_calls(fake_b) == calls_before  # nothing runs meanwhile

    new = start_new_runner(server, old, stale_after=1.0)
    run = wait_run(alice, run_id)
    assert run["status"] == "completed", run
    assert run["progress"] == {"done": total, "total": total, "errors": 0, "percent": 100.0}
    cells = stored_cells(server, run_id)
    assert len(cells) == len(set(cells)) == total
    assert set(done_before) <= set(cells)
    redone = chat_calls(fake_a) + chat_calls(fake_b) - calls_before
    assert redone == total - len(done_before)  # only the cells that were not stored yet
    assert claim_of(server, run_id) is None and new.active_runs == []
    assert [s["done"] for s in run["summary"]] == [ROWS, ROWS]


def test_a_claimed_run_is_not_claimed_twice(
    server: LiveServer, admin: httpx.Client, alice: httpx.Client, fake_a: FakeOpenAI
) -> None:
    """A second runner (another worker process) leaves a run alone while its holder's heartbeat
    is fresh."""
    model = add_model(admin, "Fake A", fake_a)
    fake_a.behaviour.token_delay = 0.03
    run_id = start_run(
        alice,
        make_set(alice, [{"prompt": f"q{i}"} for i in range(8)]),
        [model],
        concurrency_per_provider=1,
    )
    wait_run(alice, run_id, done=1)
    holder: BatchRunner = server.app.state.batch_runner
    assert claim_of(server, run_id) == holder.id
    rival = BatchRunner(holder.services, poll_interval=0.05)

    async def claim_once() -> list[int]:
        await rival._claim()  # what its poll loop does
        return rival.active_runs

    assert server.call(claim_once()) == []
    run = wait_run(alice, run_id)
    assert run["status"] == "completed" and chat_calls(fake_a) == 8
    assert len(stored_cells(server, run_id)) == 8
    stored = server.db(
        lambda session: session.scalar(
            select(func.count()).select_from(BatchResult).where(BatchResult.run_id == run_id)
        )
    )
    assert stored == 8
