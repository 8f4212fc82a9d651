from typing import Any

import httpx
import pytest

from tests.chat_fixtures import register_model
from tests.compare.helpers import API_KEY, chat_requests, compare, done_run, lanes_body, run_of
from tests.conftest import USER_PASSWORD, LiveServer, login
from tests.fakes.openai import FakeOpenAI
from tests.sse import by_name, collect

HIDDEN = ("model_id", "model_name", "provider_name", "parameters")


def names_hidden(run: Any) -> bool:
    return all(lane[field] is None for lane in run["lanes"] for field in HIDDEN)


def test_blind_mode_hides_the_models_until_the_vote(
    alice: httpx.Client, upstreams: list[FakeOpenAI], model_ids: list[int]
) -> None:
    for fake, name in zip(upstreams, ("fast", "medium", "slow"), strict=True):
        fake.behaviour.reply = f"Answer {name}"
    body = lanes_body(model_ids, blind=True)
    body["lanes"][0]["parameters"] = {"temperature": 0.5}
    events = compare(alice, body)
    started, finished = run_of(events), done_run(events)
    assert started["blind"] is True and started["revealed"] is False
    assert [lane["label"] for lane in started["lanes"]] == ["A", "B", "C"]
    assert names_hidden(started) and names_hidden(finished)
    assert all(
        data["lane"]["model_name"] is None and data["lane"]["model_id"] is None
        for data in by_name(events, "lane_done")
    )
    for needle in ("fast-model", "medium-model", "slow-model", "openai-compatible"):
        assert needle not in str([event.data for event in events])
    run_id = started["id"]
    assert names_hidden(alice.get(f"/api/compare/{run_id}").json())
    listed = alice.get("/api/compare").json()["items"][0]
    assert all(lane["model_name"] is None for lane in listed["lanes"])
    lanes = finished["lanes"]
    refused = alice.post(f"/api/compare/{run_id}/lanes/{lanes[0]['id']}/continue")
    assert refused.status_code == 409 and refused.json()["code"] == "run_not_revealed"

    voted = alice.post(
        f"/api/compare/{run_id}/vote",
        json={
            "winner_lane_id": lanes[1]["id"],
            "ratings": {str(lanes[1]["id"]): 5, lanes[2]["id"]: 2},
        },
    )
    assert voted.status_code == 200, voted.text
    revealed = voted.json()
    assert revealed["revealed"] is True and revealed["winner_lane_id"] == lanes[1]["id"]
    assert [lane["rating"] for lane in revealed["lanes"]] == [None, 5, 2]
    by_model = {lane["model_id"]: lane for lane in revealed["lanes"]}
    assert set(by_model) == set(model_ids)
    for model_id, name, speed in zip(model_ids, ("fast", "medium", "slow"), "fms", strict=True):
        lane = by_model[model_id]
        assert lane["model_name"] == f"{name}-model" and lane["content"] == f"Answer {name}"
        assert lane["provider_name"] == f"openai-compatible-{name}-model", speed
    assert by_model[model_ids[0]]["parameters"] == {"temperature": 0.5}
    assert alice.get(f"/api/compare/{run_id}").json() == revealed

    changed = alice.post(f"/api/compare/{run_id}/vote", json={"winner_lane_id": None})
    assert changed.json()["winner_lane_id"] is None
    assert [lane["rating"] for lane in changed.json()["lanes"]] == [None, 5, 2]


def test_reveal_without_voting(alice: httpx.Client, model_ids: list[int]) -> None:
    run = done_run(compare(alice, lanes_body(model_ids[:2], blind=True)))
    assert names_hidden(run)
    revealed = alice.post(f"/api/compare/{run['id']}/reveal").json()
    assert revealed["revealed"] is True and revealed["winner_lane_id"] is None
    assert {lane["model_id"] for lane in revealed["lanes"]} == set(model_ids[:2])


def test_votes_are_validated_and_change_nothing_when_refused(
    alice: httpx.Client, model_ids: list[int]
) -> None:
    first = done_run(compare(alice, lanes_body(model_ids[:2], blind=True)))
    other = done_run(compare(alice, lanes_body(model_ids[1:], blind=True)))
    mine, foreign = first["lanes"][0]["id"], other["lanes"][0]["id"]
    url = f"/api/compare/{first['id']}/vote"
    for ballot, code in [
        ({"winner_lane_id": foreign}, "lane_not_in_run"),
        ({"ratings": {str(mine): 4, str(foreign): 3}}, "lane_not_in_run"),
        ({"ratings": {str(mine): 6}}, "validation_error"),
        ({"ratings": {str(mine): 0}}, "validation_error"),
        ({"ratings": {"lane-a": 3}}, "validation_error"),
        ({}, "validation_error"),
        ({"winner_lane_id": mine, "surprise": 1}, "validation_error"),
    ]:
        refused = alice.post(url, json=ballot)
        assert refused.status_code == 422 and refused.json()["code"] == code, (ballot, refused.text)
    unchanged = alice.get(f"/api/compare/{first['id']}").json()
    assert unchanged == first and names_hidden(unchanged)


def test_rerun_makes_a_new_run_with_the_same_setup(
    alice: httpx.Client, upstreams: list[FakeOpenAI], model_ids: list[int]
) -> None:
    body = lanes_body(model_ids, prompt="Name a colour", system_prompt="One word.")
    body["lanes"][2]["parameters"] = {"max_tokens": 20, "stop": ["END"]}
    original = done_run(compare(alice, body))
    upstreams[0].behaviour.reply = "Blue."
    events = collect(alice, f"/api/compare/{original['id']}/rerun", {})
    again = done_run(events)
    assert again["id"] != original["id"] and by_name(events, "run")[0]["run"]["id"] == again["id"]
    for field in ("prompt", "system_prompt", "blind"):
        assert again[field] == original[field]
    setup = [(lane["model_id"], lane["parameters"]) for lane in again["lanes"]]
    assert setup == [(lane["model_id"], lane["parameters"]) for lane in original["lanes"]]
    assert again["lanes"][0]["content"] == "Blue." and again["lanes"][0]["status"] == "complete"
    assert chat_requests(upstreams[2])[-1].body["max_tokens"] == 20
    history = alice.get("/api/compare").json()
    assert [item["id"] for item in history["items"]] == [again["id"], original["id"]]


def test_continue_a_lane_as_a_chat(
    alice: httpx.Client, upstreams: list[FakeOpenAI], model_ids: list[int]
) -> None:
    upstreams[1].behaviour.reply = "<think>Hmm.</think>Paris is the capital."
    body = lanes_body(model_ids[:2], prompt="Capital of France?", system_prompt="Be brief.")
    body["lanes"][1]["parameters"] = {"temperature": 0.2}
    run = done_run(compare(alice, body))
    lane = run["lanes"][1]
    created = alice.post(f"/api/compare/{run['id']}/lanes/{lane['id']}/continue")
    assert created.status_code == 201, created.text
    chat = created.json()
    assert chat["model_id"] == model_ids[1] and chat["system_prompt"] == "Be brief."
    assert chat["parameters"] == {"temperature": 0.2} and chat["title"] == "Capital of France?"
    detail = alice.get(f"/api/chat/sessions/{chat['id']}").json()
    question, answer = detail["messages"]
    assert (question["role"], question["content"], question["parent_id"]) == (
        "user",
        "Capital of France?",
        None,
    )
    assert answer["role"] == "assistant" and answer["parent_id"] == question["id"]
    assert answer["content"] == "Paris is the capital." and answer["reasoning"] == "Hmm."
    assert answer["model_name"] == "medium-model" and answer["status"] == "complete"
    assert answer["output_tokens"] == lane["output_tokens"]

    upstreams[1].behaviour.reply = "About two million people."
    follow_up = collect(
        alice, f"/api/chat/sessions/{chat['id']}/messages", {"content": "Population?"}
    )
    assert by_name(follow_up, "done")[0]["message"]["content"] == "About two million people."
    assert [m["content"] for m in chat_requests(upstreams[1])[-1].body["messages"]] == [
        "Be brief.",
        "Capital of France?",
        "Paris is the capital.",
        "Population?",
    ]


def test_history_pages_and_delete(alice: httpx.Client, model_ids: list[int]) -> None:
    ids = [
        done_run(compare(alice, lanes_body(model_ids[:2], prompt=f"Prompt {i} " + "x" * 300)))["id"]
        for i in range(3)
    ]
    page = alice.get("/api/compare", params={"page": 1, "page_size": 2}).json()
    assert page["total"] == 3 and [item["id"] for item in page["items"]] == ids[::-1][:2]
    item = page["items"][0]
    assert item["prompt_preview"].startswith("Prompt 2") and len(item["prompt_preview"]) <= 200
    assert [lane["label"] for lane in item["lanes"]] == ["A", "B"]
    assert {"latency_ms", "tokens_per_second", "cost", "status", "model_name"} <= set(
        item["lanes"][0]
    )
    assert alice.get("/api/compare", params={"page_size": 500}).status_code == 422

    assert alice.delete(f"/api/compare/{ids[0]}").status_code == 204
    gone = alice.get(f"/api/compare/{ids[0]}")
    assert gone.status_code == 404 and gone.json()["code"] == "compare_run_not_found"
    assert alice.get("/api/compare").json()["total"] == 2


def test_another_users_run_is_not_found_everywhere(
    server: LiveServer, alice: httpx.Client, upstreams: list[FakeOpenAI], model_ids: list[int]
) -> None:
    run = done_run(compare(alice, lanes_body(model_ids[:2])))
    lane = run["lanes"][0]["id"]
    server.create_user("bob@example.com")
    routes = [
        ("GET", f"/api/compare/{run['id']}", None),
        ("DELETE", f"/api/compare/{run['id']}", None),
        ("POST", f"/api/compare/{run['id']}/stop", None),
        ("POST", f"/api/compare/{run['id']}/lanes/{lane}/stop", None),
        ("POST", f"/api/compare/{run['id']}/vote", {"winner_lane_id": lane}),
        ("POST", f"/api/compare/{run['id']}/reveal", None),
        ("POST", f"/api/compare/{run['id']}/rerun", None),
        ("POST", f"/api/compare/{run['id']}/lanes/{lane}/continue", None),
    ]
    calls_before = sum(len(chat_requests(fake)) for fake in upstreams)
    with login(server, "bob@example.com", USER_PASSWORD) as bob:
        for method, path, body in routes:
            answer = bob.request(method, path, json=body)
            assert answer.status_code == 404, (method, path, answer.text)
            assert answer.json()["code"] == "compare_run_not_found"
        assert bob.get("/api/compare").json()["total"] == 0
        own = done_run(compare(bob, lanes_body(model_ids[:2])))
        # a lane of someone else's run, through one's own run: still not found
        crossed = bob.post(f"/api/compare/{own['id']}/lanes/{lane}/continue")
        assert crossed.status_code == 404 and crossed.json()["code"] == "compare_lane_not_found"
        assert bob.get("/api/chat/sessions").json() == []
    assert sum(len(chat_requests(fake)) for fake in upstreams) == calls_before + 2
    assert alice.get(f"/api/compare/{run['id']}").json() == run


def test_a_prompt_template_with_values(
    admin: httpx.Client, alice: httpx.Client, upstreams: list[FakeOpenAI], model_ids: list[int]
) -> None:
    template = alice.post(
        "/api/prompts",
        json={
            "name": "Translate",
            "body": "Translate into {{language}}: {{text}}",
            "variables": [
                {"name": "language", "default": "French"},
                {"name": "text", "required": True},
            ],
        },
    )
    assert template.status_code == 201, template.text
    use = {"template_id": template.json()["id"], "values": {"text": "good morning"}}
    run = done_run(
        compare(alice, {"template": use, "lanes": [{"model_id": m} for m in model_ids[:2]]})
    )
    assert run["prompt"] == "Translate into French: good morning"
    assert chat_requests(upstreams[0])[-1].body["messages"][-1]["content"] == run["prompt"]

    missing = compare(
        alice, {"template": {**use, "values": {}}, "lanes": lanes_body(model_ids)["lanes"]}
    )
    assert missing[0].data["status"] == 422 and missing[0].data["code"] == "missing_variable"
    private = admin.post(
        "/api/prompts", json={"name": "Mine", "body": "Admin's own prompt", "variables": []}
    ).json()
    hidden = compare(
        alice, {"template": {"template_id": private["id"]}, "lanes": lanes_body(model_ids)["lanes"]}
    )
    assert hidden[0].data["status"] == 404 and hidden[0].data["code"] == "template_not_found"
    assert alice.get("/api/compare").json()["total"] == 1


@pytest.fixture
def embedding_model(admin: httpx.Client, upstreams: list[FakeOpenAI]) -> int:
    return register_model(
        admin,
        preset="openai-compatible",
        base_url=upstreams[0].base_url,
        api_key=API_KEY,
        model="text-embed-small",
    )


def test_bad_input_is_refused_and_nothing_is_stored(
    admin: httpx.Client,
    alice: httpx.Client,
    upstreams: list[FakeOpenAI],
    model_ids: list[int],
    embedding_model: int,
) -> None:
    fast, medium, slow = model_ids
    assert admin.patch(f"/api/models/{slow}", json={"enabled": False}).status_code == 200
    restricted = admin.patch(
        f"/api/models/{medium}", json={"visibility": "restricted", "allowed_roles": ["admin"]}
    )
    assert restricted.status_code == 200
    lane = {"model_id": fast}
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"prompt": "Hi", "lanes": [lane]}, 422, "validation_error"),
        ({"prompt": "Hi", "lanes": [lane] * 7}, 422, "validation_error"),
        ({"prompt": "Hi", "lanes": []}, 422, "validation_error"),
        ({"prompt": "", "lanes": [lane] * 2}, 422, "validation_error"),
        ({"prompt": "   \n ", "lanes": [lane] * 2}, 422, "validation_error"),
        ({"lanes": [lane] * 2}, 422, "validation_error"),
        (
            {"prompt": "Hi", "template": {"template_id": 1}, "lanes": [lane] * 2},
            422,
            "validation_error",
        ),
        ({"prompt": "Hi", "lanes": [lane, {"model_id": 987654}]}, 404, "model_not_found"),
        ({"prompt": "Hi", "lanes": [lane, {"model_id": slow}]}, 404, "model_not_found"),
        ({"prompt": "Hi", "lanes": [lane, {"model_id": medium}]}, 404, "model_not_found"),
        (
            {"prompt": "Hi", "lanes": [lane, {"model_id": embedding_model}]},
            422,
            "model_cannot_chat",
        ),
        (
            {"prompt": "Hi", "lanes": [lane, {"model_id": fast, "parameters": {"temperature": 5}}]},
            422,
            "validation_error",
        ),
        (
            {"prompt": "Hi", "lanes": [lane, {"model_id": fast, "parameters": {"seed": 1}}]},
            422,
            "validation_error",
        ),
        ({"prompt": "Hi", "lanes": [lane, {"model_id": "fast"}]}, 422, "validation_error"),
    ]
    for body, status, code in cases:
        answer = compare(alice, body)[0]
        assert answer.name == "http", body
        assert (answer.data["status"], answer.data["code"]) == (status, code), (body, answer.data)
        assert answer.data["message"]
    named = compare(alice, {"prompt": "Hi", "lanes": [lane, {"model_id": 987654}]})[0]
    assert "987654" in named.data["message"]

    admin.patch(f"/api/models/{fast}", json={"context_length": 50})
    too_long = compare(alice, {"prompt": "word " * 200, "lanes": [lane] * 2})[0]
    assert too_long.data["code"] == "context_overflow"

    assert alice.get("/api/compare").json()["total"] == 0
    assert all(chat_requests(fake) == [] for fake in upstreams)
    as_admin = compare(admin, {"prompt": "Hi", "lanes": [{"model_id": medium}] * 2})
    assert done_run(as_admin)["lanes"][0]["status"] == "complete"  # visible to admins


def test_each_lane_sends_its_own_parameters_upstream(
    alice: httpx.Client, upstreams: list[FakeOpenAI], model_ids: list[int]
) -> None:
    body = lanes_body(model_ids, system_prompt="Answer in one word.")
    body["lanes"][0]["parameters"] = {"temperature": 0.1, "max_tokens": 64}
    body["lanes"][1]["parameters"] = {"temperature": 1.3, "top_p": 0.5}
    done_run(compare(alice, body))
    sent = [chat_requests(fake)[-1].body for fake in upstreams]
    assert [(s.get("temperature"), s.get("top_p")) for s in sent] == [
        (0.1, None),
        (1.3, 0.5),
        (None, None),
    ]
    assert sent[0].get("max_tokens", sent[0].get("max_completion_tokens")) == 64
    assert all(
        s["messages"][0] == {"role": "system", "content": "Answer in one word."} for s in sent
    )
