import httpx
import pytest
from sqlalchemy import select

from llmforge.usage.models import UsageRecord
from tests.chat_fixtures import register_model
from tests.compare.helpers import compare, done_run, lane_text, run_of
from tests.conftest import LiveServer
from tests.dify.conftest import register
from tests.fakes.dify import FakeDify
from tests.fakes.openai import FakeOpenAI
from tests.sse import by_name, collect

MODEL_KEY = "sk-dify-compare"


@pytest.fixture(scope="module")
def openai_fake() -> FakeOpenAI:
    with FakeOpenAI(api_key=MODEL_KEY) as server:
        yield server  # type: ignore[misc]


@pytest.fixture
def model_id(admin: httpx.Client, openai_fake: FakeOpenAI) -> int:
    openai_fake.reset()
    return register_model(
        admin,
        preset="openai-compatible",
        base_url=openai_fake.base_url,
        api_key=MODEL_KEY,
        model="fake-chat",
    )


def compare_rows(server: LiveServer) -> list[tuple[str, str, str]]:
    server.call(server.app.state.usage_recorder.flush())

    async def read(session):  # type: ignore[no-untyped-def]
        rows = await session.scalars(select(UsageRecord).order_by(UsageRecord.provider_name))
        return [(r.provider_name, r.model_name, r.source.value) for r in rows]

    return server.db(read)  # type: ignore[no-any-return]


def test_a_dify_app_answers_a_comparison_lane_and_reruns(
    server: LiveServer, alice: httpx.Client, model_id: int, dify: FakeDify
) -> None:
    app = register(alice, dify, name="Support bot")
    dify.behaviour.reply = "Dify says hello."
    body = {
        "prompt": "Say hello",
        "lanes": [{"model_id": model_id}, {"dify_app_id": app["id"]}],
    }
    events = compare(alice, body)
    started = run_of(events)
    by_provider = {lane["provider_name"]: lane for lane in started["lanes"]}
    dify_lane = by_provider["dify"]
    assert dify_lane["model_name"] == "Support bot" and dify_lane["model_id"] is None
    assert lane_text(events, dify_lane["id"]) == "Dify says hello."
    finished = {lane["id"]: lane for lane in done_run(events)["lanes"]}
    assert finished[dify_lane["id"]]["status"] == "complete"
    assert (
        finished[dify_lane["id"]]["input_tokens"],
        finished[dify_lane["id"]]["output_tokens"],
    ) == (
        11,
        7,
    )
    assert all(lane["status"] == "complete" for lane in finished.values())
    assert dify.requests[-1].body["query"] == "Say hello"
    assert dify.requests[-1].body["conversation_id"] == ""
    assert compare_rows(server) == [
        ("dify", "Support bot", "compare"),
        ("openai-compatible-fake-chat", "fake-chat", "compare"),
    ]

    again = collect(alice, f"/api/compare/{started['id']}/rerun", {})
    names = sorted(lane["model_name"] for lane in done_run(again)["lanes"])
    assert names == ["Support bot", "fake-chat"]
    assert len(dify.conversations) == 2  # every run asks in a fresh conversation


def test_a_lane_names_a_model_or_a_dify_app(
    alice: httpx.Client, bob: httpx.Client, model_id: int, dify: FakeDify
) -> None:
    app = register(alice, dify)
    both = compare(
        alice,
        {"prompt": "Hi", "lanes": [{"model_id": model_id, "dify_app_id": app["id"]}] * 2},
    )
    assert both[0].data["status"] == 422
    neither = compare(alice, {"prompt": "Hi", "lanes": [{}, {"model_id": model_id}]})
    assert neither[0].data["status"] == 422
    foreign = compare(
        bob, {"prompt": "Hi", "lanes": [{"model_id": model_id}, {"dify_app_id": app["id"]}]}
    )
    assert foreign[0].data["status"] == 404 and foreign[0].data["code"] == "dify_app_not_found"
    assert dify.requests == [] and by_name(foreign, "run") == []
