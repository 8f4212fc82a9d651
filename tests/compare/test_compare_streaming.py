import threading
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select

from llmforge.usage.models import UsageRecord
from tests.compare.helpers import (
    chat_requests,
    compare,
    done_run,
    lane_text,
    lanes_body,
    run_of,
    settled,
    wait_for_run,
)
from tests.conftest import LiveServer
from tests.fakes.openai import FakeOpenAI
from tests.sse import by_name, iter_events
from tests.usage.test_usage_and_quotas import my_usage

REPLY = "one two three four five six seven eight nine ten eleven twelve"


def test_three_models_stream_at_once_with_ordered_metrics(
    alice: httpx.Client, upstreams: list[FakeOpenAI], model_ids: list[int]
) -> None:
    for fake, delay in zip(upstreams, (0.0, 0.03, 0.08), strict=True):
        fake.behaviour.reply, fake.behaviour.token_delay = REPLY, delay
    upstreams[2].behaviour.reasoning = "Let me think."
    slow_first = list(reversed(model_ids))  # sequential lanes would finish slow one first
    events = compare(alice, lanes_body(slow_first, system_prompt="Be terse.", blind=False))

    names = [event.name for event in events]
    assert names[0] == "run" and names[-1] == "done"
    started = run_of(events)
    assert [lane["model_id"] for lane in started["lanes"]] == slow_first
    assert [lane["label"] for lane in started["lanes"]] == ["A", "B", "C"]
    assert all(lane["status"] == "streaming" for lane in started["lanes"])
    lane_of = {lane["model_id"]: lane["id"] for lane in started["lanes"]}
    fast, medium, slow = (lane_of[m] for m in model_ids)

    finished = [data["lane"]["id"] for data in by_name(events, "lane_done")]
    assert finished == [fast, medium, slow]
    for lane_id in (fast, medium, slow):
        assert lane_text(events, lane_id) == REPLY
        assert [u for u in by_name(events, "usage") if u["lane_id"] == lane_id] == [
            {"lane_id": lane_id, "input_tokens": 11, "output_tokens": 7, "estimated": False}
        ]
    assert lane_text(events, slow, "reasoning") == "Let me think."

    stored = {lane["id"]: lane for lane in done_run(events)["lanes"]}
    assert stored == {
        lane["id"]: lane for lane in (data["lane"] for data in by_name(events, "lane_done"))
    }
    for lane in stored.values():
        assert lane["status"] == "complete" and lane["finish_reason"] == "stop"
        assert lane["content"] == REPLY and lane["error"] is None
        assert (lane["input_tokens"], lane["output_tokens"]) == (11, 7)
        assert Decimal(lane["cost"]) == (Decimal(11) * 2 + Decimal(7) * 10) / 1_000_000
        assert lane["ttft_ms"] is not None and lane["latency_ms"] > lane["ttft_ms"]
        assert lane["tokens_per_second"] > 0
    assert stored[slow]["reasoning"] == "Let me think." and stored[slow]["reasoning_ms"]
    latency = [stored[lane_id]["latency_ms"] for lane_id in (fast, medium, slow)]
    assert latency == sorted(latency) and latency[0] < latency[2]
    speed = [stored[lane_id]["tokens_per_second"] for lane_id in (fast, medium, slow)]
    assert speed[0] > speed[2]

    assert alice.get(f"/api/compare/{started['id']}").json() == done_run(events)
    for fake in upstreams:
        sent = chat_requests(fake)[-1].body["messages"]
        assert sent == [
            {"role": "system", "content": "Be terse."},
            {"role": "user", "content": "Compare yourselves"},
        ]


def test_a_failing_lane_does_not_break_the_others(
    alice: httpx.Client, upstreams: list[FakeOpenAI], model_ids: list[int]
) -> None:
    upstreams[0].behaviour.reply = REPLY
    upstreams[1].behaviour.reply, upstreams[1].behaviour.disconnect_after = REPLY, 3
    upstreams[2].behaviour.fail_status = 401
    events = compare(alice, lanes_body(model_ids))
    lane_of = {lane["model_id"]: lane["id"] for lane in run_of(events)["lanes"]}
    ok, broken, refused = (lane_of[m] for m in model_ids)

    errors = {data["lane_id"]: data for data in by_name(events, "error")}
    assert set(errors) == {broken, refused}
    assert errors[refused]["code"] == "upstream_authentication_failed"
    assert errors[broken]["code"].startswith("upstream_")
    stored = {lane["id"]: lane for lane in done_run(events)["lanes"]}
    assert stored[ok]["status"] == "complete" and stored[ok]["content"] == REPLY
    assert stored[broken]["status"] == "error" and stored[broken]["error"]["code"].startswith(
        "upstream_"
    )
    assert stored[broken]["content"] == lane_text(events, broken) != ""
    assert stored[refused]["status"] == "error" and stored[refused]["content"] == ""
    assert "sk-compare-test" not in str(events)


def test_stopping_one_lane_lets_the_others_finish(
    alice: httpx.Client, upstreams: list[FakeOpenAI], model_ids: list[int]
) -> None:
    for fake in upstreams:
        fake.behaviour.reply, fake.behaviour.chunk_size = REPLY, 3
    upstreams[0].behaviour.token_delay = 0.01
    upstreams[1].behaviour.reply, upstreams[1].behaviour.token_delay = "word " * 300, 0.03
    upstreams[2].behaviour.token_delay = 0.05
    events, stopped = [], None
    with alice.stream("POST", "/api/compare", json=lanes_body(model_ids)) as response:
        for event in iter_events(response):
            events.append(event)
            if event.name == "run":
                run = event.data["run"]
                target = next(lane for lane in run["lanes"] if lane["model_id"] == model_ids[1])
            if (
                stopped is None
                and event.name == "content"
                and event.data["lane_id"] == target["id"]
            ):
                stopped = alice.post(f"/api/compare/{run['id']}/lanes/{target['id']}/stop")
    assert stopped is not None and stopped.status_code == 204, stopped
    assert upstreams[1].wait_for_disconnect(timeout=10), "the stopped lane's upstream stayed open"

    stored = {lane["id"]: lane for lane in done_run(events)["lanes"]}
    halted = stored.pop(target["id"])
    assert halted["status"] == "interrupted" and halted["finish_reason"] == "cancelled"
    assert halted["content"] == lane_text(events, target["id"])
    assert 0 < len(halted["content"]) < len("word " * 300)
    assert halted["tokens_estimated"] is True
    assert [(lane["status"], lane["content"]) for lane in stored.values()] == [
        ("complete", REPLY),
        ("complete", REPLY),
    ]

    again = alice.post(f"/api/compare/{run['id']}/lanes/{target['id']}/stop")
    assert again.status_code == 409 and again.json()["code"] == "lane_finished"
    everything = alice.post(f"/api/compare/{run['id']}/stop")
    assert everything.status_code == 409 and everything.json()["code"] == "run_finished"
    missing = alice.post(f"/api/compare/{run['id']}/lanes/{2**31 - 1}/stop")
    assert missing.status_code == 404 and missing.json()["code"] == "compare_lane_not_found"


def test_stop_all_interrupts_every_lane(
    alice: httpx.Client, upstreams: list[FakeOpenAI], model_ids: list[int]
) -> None:
    for fake in upstreams:
        fake.behaviour.reply, fake.behaviour.token_delay = "word " * 200, 0.03
    events, stopped = [], None
    with alice.stream("POST", "/api/compare", json=lanes_body(model_ids)) as response:
        for event in iter_events(response):
            events.append(event)
            if stopped is None and event.name == "content":
                stopped = alice.post(f"/api/compare/{run_of(events)['id']}/stop")
    assert stopped is not None and stopped.status_code == 204
    assert [event.name for event in events][-1] == "done"
    assert {lane["status"] for lane in done_run(events)["lanes"]} == {"interrupted"}
    assert all(fake.wait_for_disconnect(timeout=10) for fake in upstreams)


def test_client_disconnect_saves_every_lane_as_interrupted(
    alice: httpx.Client, upstreams: list[FakeOpenAI], model_ids: list[int]
) -> None:
    for fake in upstreams:
        fake.behaviour.reply, fake.behaviour.token_delay = "word " * 200, 0.03
    upstreams[2].behaviour.first_byte_delay = 5  # one lane has not even started answering
    received = ""
    with alice.stream("POST", "/api/compare", json=lanes_body(model_ids)) as response:
        for event in iter_events(response):
            if event.name == "run":
                run_id = event.data["run"]["id"]
            if event.name == "content":
                received += event.data["text"]
                if len(received) >= 30:
                    break  # the browser closes the page
    assert all(fake.wait_for_disconnect(timeout=10) for fake in upstreams)
    run = wait_for_run(alice, run_id, settled)
    assert {lane["status"] for lane in run["lanes"]} == {"interrupted"}
    assert {lane["finish_reason"] for lane in run["lanes"]} == {"cancelled"}
    assert sum(len(lane["content"]) for lane in run["lanes"]) >= len(received)
    quiet = next(lane for lane in run["lanes"] if lane["model_id"] == model_ids[2])
    assert quiet["content"] == "" and quiet["ttft_ms"] is None


def test_a_stop_before_a_slow_first_byte(
    alice: httpx.Client, upstreams: list[FakeOpenAI], model_ids: list[int]
) -> None:
    upstreams[0].behaviour.first_byte_delay = 5

    def stop_when_started() -> None:
        with alice.stream("POST", "/api/compare", json=lanes_body(model_ids[:2])) as response:
            for event in iter_events(response):
                if event.name == "run":
                    run = event.data["run"]
                    lane = next(x for x in run["lanes"] if x["model_id"] == model_ids[0])
                    result.append(alice.post(f"/api/compare/{run['id']}/lanes/{lane['id']}/stop"))
                if event.name == "done":
                    result.append(event.data["run"])

    result: list[object] = []
    worker = threading.Thread(target=stop_when_started)
    worker.start()
    worker.join(timeout=10)
    stop, run = result
    assert isinstance(stop, httpx.Response) and stop.status_code == 204
    statuses = {lane["model_id"]: lane["status"] for lane in run["lanes"]}  # type: ignore[index]
    assert statuses == {model_ids[0]: "interrupted", model_ids[1]: "complete"}


def test_each_lane_records_one_usage_row(
    server: LiveServer, alice: httpx.Client, model_ids: list[int]
) -> None:
    compare(alice, lanes_body(model_ids))
    usage = my_usage(alice, 3)
    assert usage["totals"]["input_tokens"] == 33 and usage["totals"]["output_tokens"] == 21
    assert sorted((m["model_name"], m["calls"]) for m in usage["by_model"]) == [
        ("fast-model", 1),
        ("medium-model", 1),
        ("slow-model", 1),
    ]

    async def sources(session):  # type: ignore[no-untyped-def]
        return list(await session.scalars(select(UsageRecord.source)))

    assert server.db(sources) == ["compare"] * 3


def test_quota_refuses_before_any_upstream_call(
    admin: httpx.Client, alice: httpx.Client, upstreams: list[FakeOpenAI], model_ids: list[int]
) -> None:
    alice_id = alice.get("/api/auth/me").json()["id"]
    admin.put(f"/api/usage/quotas/{alice_id}", json={"monthly_token_limit": 0})
    for fake in upstreams:
        fake.requests.clear()
    refused = compare(alice, lanes_body(model_ids))
    assert refused[0].data["status"] == 429 and refused[0].data["code"] == "quota_exceeded"
    assert all(chat_requests(fake) == [] for fake in upstreams)
    assert alice.get("/api/compare").json()["total"] == 0


@pytest.mark.parametrize("count", [2, 6])
def test_two_to_six_lanes_any_mix(
    alice: httpx.Client, upstreams: list[FakeOpenAI], model_ids: list[int], count: int
) -> None:
    """The same model may run in several lanes, e.g. with other parameters."""
    lanes = [
        {"model_id": model_ids[i % 3], "parameters": {"temperature": i / 10}} for i in range(count)
    ]
    events = compare(alice, {"prompt": "Hi", "lanes": lanes})
    run = done_run(events)
    assert [lane["status"] for lane in run["lanes"]] == ["complete"] * count
    assert [lane["parameters"] for lane in run["lanes"]] == [
        {"temperature": i / 10} for i in range(count)
    ]
    sent = sorted(r.body.get("temperature") for fake in upstreams for r in chat_requests(fake))
    assert sent == sorted(i / 10 for i in range(count))


def test_deleting_a_run_while_it_streams(
    alice: httpx.Client, upstreams: list[FakeOpenAI], model_ids: list[int]
) -> None:
    for fake in upstreams:
        fake.behaviour.reply, fake.behaviour.token_delay = "word " * 200, 0.03
    events, deleted = [], None
    with alice.stream("POST", "/api/compare", json=lanes_body(model_ids)) as response:
        for event in iter_events(response):
            events.append(event)
            if deleted is None and event.name == "content":
                deleted = alice.delete(f"/api/compare/{run_of(events)['id']}")
    assert deleted is not None and deleted.status_code == 204
    assert [event.name for event in events][-1] == "done" and done_run(events) is None
    assert alice.get(f"/api/compare/{run_of(events)['id']}").status_code == 404
    assert all(fake.wait_for_disconnect(timeout=10) for fake in upstreams)
    assert my_usage(alice, 3)["totals"]["calls"] == 3  # the calls happened all the same
