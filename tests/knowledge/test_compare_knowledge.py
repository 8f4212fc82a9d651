"""Comparison with knowledge: every lane gets the same numbered passages; the run keeps them."""

import httpx

from tests.chat_fixtures import register_model
from tests.conftest import LiveServer, login
from tests.fakes.openai import FakeOpenAI
from tests.knowledge.conftest import add_ready, create_kb
from tests.sse import by_name, collect

GUIDE = b"# Guide\n\n## Backups\n\nCopy the data directory every night.\n"
EXACT_QUESTION = "Guide > Backups\nCopy the data directory every night."


def _chat_model(admin: httpx.Client, fake: FakeOpenAI) -> int:
    return register_model(
        admin,
        preset="openai-compatible",
        base_url=fake.base_url,
        api_key="sk-kb-test",
        model="fake-chat",
    )


def test_every_lane_gets_the_same_sources(
    alice: httpx.Client, admin: httpx.Client, fake: FakeOpenAI, fake_embed: int
) -> None:
    kb = create_kb(alice, fake_embed, score_threshold=0.99)
    doc = add_ready(alice, kb["id"], "guide.md", GUIDE)
    model = _chat_model(admin, fake)
    body = {
        "prompt": EXACT_QUESTION,
        "knowledge_base_ids": [kb["id"]],
        "lanes": [{"model_id": model}, {"model_id": model, "parameters": {"temperature": 0.2}}],
    }
    events = collect(alice, "/api/compare", body)
    (started,) = by_name(events, "run")
    sources = started["run"]["sources"]
    assert [(s["index"], s["document_id"]) for s in sources] == [(1, doc["id"])]
    assert started["run"]["knowledge_base_ids"] == [kb["id"]]
    prompts = [
        r.body["messages"][0]["content"]
        for r in fake.requests
        if r.path.endswith("/chat/completions")
    ]
    assert len(prompts) == 2
    assert all("[1] guide.md — Guide > Backups" in prompt for prompt in prompts)
    stored = alice.get(f"/api/compare/{started['run']['id']}").json()
    assert stored["sources"] == sources


def test_nothing_relevant_and_no_knowledge(
    alice: httpx.Client, admin: httpx.Client, fake: FakeOpenAI, fake_embed: int
) -> None:
    kb = create_kb(alice, fake_embed, score_threshold=0.99)
    add_ready(alice, kb["id"], "guide.md", GUIDE)
    model = _chat_model(admin, fake)
    lanes = [{"model_id": model}, {"model_id": model}]
    events = collect(
        alice,
        "/api/compare",
        {"prompt": "Lunch?", "knowledge_base_ids": [kb["id"]], "lanes": lanes},
    )
    assert by_name(events, "run")[0]["run"]["sources"] == []
    assert "contains nothing relevant" in fake.requests[-1].body["messages"][0]["content"]
    plain = collect(alice, "/api/compare", {"prompt": "Lunch?", "lanes": lanes})
    assert by_name(plain, "run")[0]["run"]["sources"] is None


def test_another_users_private_knowledge_base_is_404(
    server: LiveServer,
    alice: httpx.Client,
    admin: httpx.Client,
    fake: FakeOpenAI,
    fake_embed: int,
) -> None:
    kb = create_kb(alice, fake_embed)
    model = _chat_model(admin, fake)
    server.create_user("bob@example.com")
    with login(server, "bob@example.com", "user password 1") as bob:
        body = {
            "prompt": "x",
            "knowledge_base_ids": [kb["id"]],
            "lanes": [{"model_id": model}, {"model_id": model}],
        }
        (refused,) = collect(bob, "/api/compare", body)
        assert refused.data["status"] == 404
        assert refused.data["code"] == "knowledge_base_not_found"
