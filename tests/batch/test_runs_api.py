"""Batch runs over HTTP against fake providers: execution, progress, summary, results, export,
scorers (the judge included), usage, quotas, cancel, bad input and ownership."""

import csv
import io
import time
from decimal import Decimal

import httpx
from sqlalchemy import func, insert, select

from llmforge.batch.models import BatchResult
from llmforge.usage.models import UsageRecord, UsageSource
from tests.batch.helpers import add_model, chat_calls, make_set, start_run, wait_run
from tests.conftest import USER_PASSWORD, LiveServer, login
from tests.fakes.openai import FakeOpenAI

ROWS = [
    {"prompt": "What is 2+2?", "reference": "4", "tags": ["math"]},
    {"prompt": "Capital of France?", "reference": "Paris", "system_prompt": "Be brief."},
    {"prompt": "Say hello", "reference": "Hello from the fake provider."},
]


def usage_by_source(server: LiveServer) -> dict[str, int]:
    server.call(server.app.state.usage_recorder.flush())

    async def count(session):  # type: ignore[no-untyped-def]
        rows = await session.execute(
            select(UsageRecord.source, func.count()).group_by(UsageRecord.source)
        )
        return {source.value: n for source, n in rows}

    return server.db(count)  # type: ignore[no-any-return]


def test_a_run_against_two_models_completes_with_summary_results_and_export(
    server: LiveServer,
    admin: httpx.Client,
    alice: httpx.Client,
    fake_a: FakeOpenAI,
    fake_b: FakeOpenAI,
) -> None:
    model_a = add_model(
        admin, "Fake A", fake_a, input_price_per_mtok="2", output_price_per_mtok="10"
    )
    model_b = add_model(admin, "Fake B", fake_b)
    fake_b.behaviour.reply = "Paris"
    fake_b.behaviour.usage = (20, 3)
    set_id = make_set(alice, ROWS)
    run_id = start_run(
        alice,
        set_id,
        [model_a, model_b],
        scorers=[
            {"type": "exact"},
            {"type": "contains", "name": "has_ref"},
            {"type": "regex", "pattern": "^hello", "ignore_case": True},
            {"type": "similarity", "threshold": 0.5},
        ],
        concurrency_per_provider=2,
    )
    run = wait_run(alice, run_id)
    assert run["status"] == "completed", run
    assert run["progress"] == {"done": 6, "total": 6, "errors": 0, "percent": 100.0}
    assert run["started_at"] and run["finished_at"] and run["eta_seconds"] is None
    assert (chat_calls(fake_a), chat_calls(fake_b)) == (3, 3)
    sent = next(r.body for r in fake_b.requests if r.body and "Be brief." in str(r.body))
    assert sent["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Capital of France?"},
    ]

    a = next(s for s in run["summary"] if s["model_id"] == model_a)
    b = next(s for s in run["summary"] if s["model_id"] == model_b)
    assert (a["provider_name"], b["provider_name"]) == ("Fake A", "Fake B")
    assert (a["cells"], a["done"], a["errors"]) == (3, 3, 0)
    assert (a["input_tokens"], a["output_tokens"]) == (33, 21)
    assert (b["input_tokens"], b["output_tokens"]) == (60, 9)
    assert Decimal(a["total_cost"]) == Decimal(3 * (11 * 2 + 7 * 10)) / 1_000_000
    assert b["total_cost"] is None  # no prices set
    for s in (a, b):
        assert 0 < s["mean_latency_ms"] <= s["p95_latency_ms"]  # p95 of 3 is the slowest
        assert s["mean_ttft_ms"] is not None
    # A always answers "Hello from the fake provider." (row 3's reference), B "Paris" (row 2's)
    third = round(1 / 3, 4)
    assert a["scores"] == {"exact": third, "has_ref": third, "regex": 1.0, "similarity": third}
    assert b["scores"] == {"exact": third, "has_ref": third, "regex": 0.0, "similarity": third}

    page = alice.get(f"/api/batch-tests/runs/{run_id}/results", params={"page_size": 2}).json()
    assert page["total"] == 3 and len(page["items"]) == 2
    assert [m["id"] for m in page["models"]] == [model_a, model_b]
    second = page["items"][1]
    assert second["prompt"] == "Capital of France?" and second["system_prompt"] == "Be brief."
    cell_b = second["cells"][str(model_b)]
    assert cell_b["answer"] == "Paris" and cell_b["failed"] is False
    assert cell_b["scores"]["exact"] == {"score": 1.0, "passed": True, "reason": None}
    assert cell_b["finish_reason"] == "stop" and cell_b["latency_ms"] > 0

    exported = alice.get(f"/api/batch-tests/runs/{run_id}/export", params={"format": "csv"})
    assert exported.status_code == 200
    assert (
        exported.headers["content-disposition"] == f'attachment; filename="batch-run-{run_id}.csv"'
    )
    lines = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(lines) == 6
    assert {line["status"] for line in lines} == {"ok"}
    paris = next(line for line in lines if line["model_id"] == str(model_b) and line["row"] == "2")
    assert (paris["answer"], paris["exact_score"], paris["provider"]) == ("Paris", "1.0", "Fake B")
    as_json = alice.get(f"/api/batch-tests/runs/{run_id}/export", params={"format": "json"})
    assert as_json.headers["content-disposition"].endswith('.json"')
    body = as_json.json()
    assert body["run"]["status"] == "completed" and len(body["rows"]) == 3
    assert len(body["run"]["summary"]) == 2

    listed = alice.get("/api/batch-tests/runs").json()
    assert listed["total"] == 1 and listed["items"][0]["progress"]["done"] == 6
    assert usage_by_source(server) == {"batch": 6}


def test_failing_cells_are_stored_with_their_error(
    admin: httpx.Client, alice: httpx.Client, fake_a: FakeOpenAI
) -> None:
    model = add_model(admin, "Fake A", fake_a)
    fake_a.behaviour.fail_status, fake_a.behaviour.fail_times = 401, 1
    fake_a.behaviour.reply = "4"
    run_id = start_run(
        alice,
        make_set(alice, ROWS[:2]),
        [model],
        scorers=[{"type": "exact"}],
        concurrency_per_provider=1,
    )
    run = wait_run(alice, run_id)
    assert run["status"] == "completed" and run["progress"]["errors"] == 1
    summary = run["summary"][0]
    assert (summary["done"], summary["errors"]) == (2, 1)
    cells = [
        row["cells"][str(model)]
        for row in alice.get(f"/api/batch-tests/runs/{run_id}/results").json()["items"]
    ]
    failed = next(cell for cell in cells if cell["failed"])
    assert failed["error"]["code"] == "upstream_authentication_failed"
    assert failed["scores"]["exact"] == {
        "score": None,
        "passed": None,
        "reason": "the model call failed",
    }
    assert summary["scores"]["exact"] in (0.0, 1.0)


def test_llm_as_judge_scores_and_records_judge_usage(
    server: LiveServer,
    admin: httpx.Client,
    alice: httpx.Client,
    fake_a: FakeOpenAI,
    fake_judge: FakeOpenAI,
) -> None:
    model = add_model(admin, "Fake A", fake_a)
    judge = add_model(admin, "Judge", fake_judge)
    fake_judge.behaviour.reply = 'Verdict:\n```json\n{"score": 4, "reason": "Close enough."}\n```'
    run_id = start_run(
        alice,
        make_set(alice, ROWS[:2]),
        [model],
        scorers=[{"type": "judge", "judge_model_id": judge, "rubric": "Is it correct?"}],
    )
    run = wait_run(alice, run_id)
    assert run["status"] == "completed"
    assert run["summary"][0]["scores"] == {"judge": 4.0}
    cell = alice.get(f"/api/batch-tests/runs/{run_id}/results").json()["items"][0]["cells"][
        str(model)
    ]
    assert cell["scores"]["judge"] == {"score": 4.0, "passed": None, "reason": "Close enough."}
    assert chat_calls(fake_judge) == 2
    asked = fake_judge.requests[-1].body["messages"]
    assert asked[0]["role"] == "system" and '"score"' in asked[0]["content"]
    for part in ("Is it correct?", "## Reference answer", "Hello from the fake provider."):
        assert part in asked[1]["content"]
    assert usage_by_source(server) == {"batch": 2, "judge": 2}


def test_an_unparseable_judge_reply_is_kept_as_the_reason(
    admin: httpx.Client, alice: httpx.Client, fake_a: FakeOpenAI, fake_judge: FakeOpenAI
) -> None:
    model = add_model(admin, "Fake A", fake_a)
    judge = add_model(admin, "Judge", fake_judge)
    fake_judge.behaviour.reply = "I like it."
    run_id = start_run(
        alice,
        make_set(alice, ROWS[:1]),
        [model],
        scorers=[{"type": "judge", "name": "j", "judge_model_id": judge, "rubric": "r"}],
    )
    run = wait_run(alice, run_id)
    assert run["summary"][0]["scores"] == {"j": None}
    cell = alice.get(f"/api/batch-tests/runs/{run_id}/results").json()["items"][0]["cells"]
    assert cell[str(model)]["scores"]["j"] == {
        "score": None,
        "passed": None,
        "reason": "I like it.",
    }


def test_bad_run_requests_create_nothing(
    server: LiveServer,
    admin: httpx.Client,
    alice: httpx.Client,
    fake_a: FakeOpenAI,
    fake_judge: FakeOpenAI,
) -> None:
    model = add_model(admin, "Fake A", fake_a)
    embedder = add_model(admin, "Embed", fake_judge, model="fake-embed")
    hidden = add_model(admin, "Hidden", fake_judge)
    admin.patch(f"/api/models/{hidden}", json={"enabled": False})
    set_id = make_set(alice, ROWS[:1])

    def post(**body: object) -> httpx.Response:
        return alice.post(
            "/api/batch-tests/runs", json={"set_id": set_id, "model_ids": [model], **body}
        )

    unknown = post(model_ids=[model, 999_999])
    assert unknown.status_code == 404 and unknown.json()["code"] == "model_not_found"
    assert post(model_ids=[hidden]).json()["code"] == "model_not_found"
    not_chat = post(scorers=[{"type": "judge", "judge_model_id": embedder, "rubric": "r"}])
    assert not_chat.status_code == 422 and not_chat.json()["code"] == "judge_not_chat"
    hidden_judge = post(scorers=[{"type": "judge", "judge_model_id": hidden, "rubric": "r"}])
    assert hidden_judge.status_code == 404
    bad_regex = post(scorers=[{"type": "regex", "pattern": "(a+)+$"}])
    assert bad_regex.status_code == 422 and bad_regex.json()["code"] == "invalid_regex"
    assert "exponential" in bad_regex.json()["message"]
    assert post(scorers=[{"type": "regex", "pattern": "("}]).json()["code"] == "invalid_regex"
    assert post(scorers=[{"type": "exact"}, {"type": "exact"}]).status_code == 422
    assert post(scorers=[{"type": "bleu"}]).status_code == 422
    assert post(model_ids=[]).status_code == 422
    assert post(model_ids=list(range(1, 12))).status_code == 422
    assert post(model_ids=[model, model]).status_code == 422
    assert post(concurrency_per_provider=0).status_code == 422
    assert post(set_id=999_999).json()["code"] == "test_set_not_found"
    assert alice.get("/api/batch-tests/runs").json()["total"] == 0
    assert chat_calls(fake_a) == 0


def test_quota_refusal_happens_before_any_upstream_call(
    server: LiveServer, admin: httpx.Client, alice: httpx.Client, fake_a: FakeOpenAI
) -> None:
    model = add_model(admin, "Fake A", fake_a)
    alice_id = alice.get("/api/auth/me").json()["id"]
    assert (
        admin.put(f"/api/usage/quotas/{alice_id}", json={"monthly_token_limit": 100}).status_code
        == 200
    )

    async def spend(session):  # type: ignore[no-untyped-def]
        await session.execute(
            insert(UsageRecord),
            [
                {
                    "user_id": alice_id,
                    "model_name": "m",
                    "provider_name": "p",
                    "source": UsageSource.chat,
                    "input_tokens": 60,
                    "output_tokens": 40,
                    "status": "complete",
                }
            ],
        )

    server.db(spend)
    refused = alice.post(
        "/api/batch-tests/runs", json={"set_id": make_set(alice, ROWS), "model_ids": [model]}
    )
    assert refused.status_code == 429 and refused.json()["code"] == "quota_exceeded"
    assert "100" in refused.json()["message"]
    assert alice.get("/api/batch-tests/runs").json()["total"] == 0
    assert chat_calls(fake_a) == 0


def test_a_run_stops_when_the_budget_runs_out_midway(
    admin: httpx.Client, alice: httpx.Client, fake_a: FakeOpenAI
) -> None:
    model = add_model(admin, "Fake A", fake_a)
    alice_id = alice.get("/api/auth/me").json()["id"]
    admin.put(f"/api/usage/quotas/{alice_id}", json={"monthly_token_limit": 30})
    fake_a.behaviour.token_delay = 0.15  # a call outlasts the runner's budget-check interval
    run_id = start_run(
        alice,
        make_set(alice, [{"prompt": f"q{i}"} for i in range(6)]),
        [model],
        concurrency_per_provider=1,
    )
    run = wait_run(alice, run_id)
    assert run["status"] == "failed" and run["error"]["code"] == "quota_exceeded"
    assert 1 <= run["progress"]["done"] < 6
    assert chat_calls(fake_a) == run["progress"]["done"]


def test_cancel_a_run(
    server: LiveServer, admin: httpx.Client, alice: httpx.Client, fake_a: FakeOpenAI
) -> None:
    model = add_model(admin, "Fake A", fake_a)
    fake_a.behaviour.token_delay = 0.1
    set_id = make_set(alice, [{"prompt": f"q{i}"} for i in range(30)])
    run_id = start_run(alice, set_id, [model], concurrency_per_provider=1)
    wait_run(alice, run_id, done=1)
    # a call surely in flight when the cancel comes (not the gap between two calls): the
    # next calls wait a minute for their first byte
    fake_a.behaviour.first_byte_delay = 60
    in_flight = chat_calls(fake_a) + 1
    deadline = time.monotonic() + 30
    while chat_calls(fake_a) < in_flight and time.monotonic() < deadline:
        time.sleep(0.05)
    conflict = alice.delete(f"/api/batch-tests/sets/{set_id}")
    assert conflict.status_code == 409 and conflict.json()["code"] == "test_set_in_use"
    assert alice.delete(f"/api/batch-tests/runs/{run_id}").status_code == 409
    cancelled = alice.post(f"/api/batch-tests/runs/{run_id}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert fake_a.wait_for_disconnect(5)  # the call in flight was closed
    calls = chat_calls(fake_a)
    done = wait_run(alice, run_id)["progress"]["done"]
    deadline_calls = chat_calls(fake_a)
    assert done < 30 and deadline_calls == calls
    stored = server.db(
        lambda session: session.scalar(
            select(func.count()).select_from(BatchResult).where(BatchResult.run_id == run_id)
        )
    )
    assert stored == done
    again = alice.post(f"/api/batch-tests/runs/{run_id}/cancel")
    assert again.status_code == 409 and again.json()["code"] == "run_not_active"
    edit = {"name": "edited", "rows": [{"prompt": "new"}]}
    refused = alice.put(f"/api/batch-tests/sets/{set_id}", json=edit)
    assert refused.status_code == 409 and refused.json()["code"] == "test_set_has_runs"
    assert alice.delete(f"/api/batch-tests/runs/{run_id}").status_code == 204
    edited = alice.put(f"/api/batch-tests/sets/{set_id}", json=edit)
    assert edited.status_code == 200 and edited.json()["row_count"] == 1
    assert alice.delete(f"/api/batch-tests/sets/{set_id}").status_code == 204


def test_another_users_run_is_a_404_everywhere(
    server: LiveServer, admin: httpx.Client, alice: httpx.Client, fake_a: FakeOpenAI
) -> None:
    model = add_model(admin, "Fake A", fake_a)
    set_id = make_set(alice, ROWS[:1])
    run_id = start_run(alice, set_id, [model])
    wait_run(alice, run_id)
    server.create_user("bob@example.com")
    with login(server, "bob@example.com", USER_PASSWORD) as bob:
        base = f"/api/batch-tests/runs/{run_id}"
        for response in (
            bob.get(base),
            bob.get(f"{base}/results"),
            bob.get(f"{base}/export"),
            bob.post(f"{base}/cancel"),
            bob.delete(base),
        ):
            assert response.status_code == 404, response.text
            assert response.json()["code"] == "batch_run_not_found"
        assert bob.get("/api/batch-tests/runs").json()["total"] == 0
        stolen = bob.post("/api/batch-tests/runs", json={"set_id": set_id, "model_ids": [model]})
        assert stolen.status_code == 404 and stolen.json()["code"] == "test_set_not_found"
    assert alice.get(f"/api/batch-tests/runs/{run_id}").status_code == 200
