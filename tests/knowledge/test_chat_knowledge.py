"""Chat with knowledge: numbered passages in the prompt, a `sources` event, stored sources, and
the model told when nothing relevant was found."""

import httpx

from tests.chat_fixtures import register_model
from tests.conftest import LiveServer, login
from tests.fakes.openai import FakeOpenAI
from tests.knowledge.conftest import add_ready, create_kb
from tests.sse import by_name, collect

GUIDE = b"# Guide\n\n## Backups\n\nCopy the data directory every night.\n"
# The fake's vectors hash the text, so the chunk's own embedding input is the one exact match.
EXACT_QUESTION = "Guide > Backups\nCopy the data directory every night."


def _chat(alice: httpx.Client, admin: httpx.Client, fake: FakeOpenAI, kb_ids: list[int]) -> int:
    model = register_model(
        admin,
        preset="openai-compatible",
        base_url=fake.base_url,
        api_key="sk-kb-test",
        model="fake-chat",
    )
    created = alice.post(
        "/api/chat/sessions", json={"model_id": model, "knowledge_base_ids": kb_ids}
    )
    assert created.status_code == 201, created.text
    assert created.json()["knowledge_base_ids"] == kb_ids
    return int(created.json()["id"])


def _system_prompt(fake: FakeOpenAI) -> str:
    chat_calls = [r for r in fake.requests if r.path.endswith("/chat/completions")]
    first = chat_calls[-1].body["messages"][0]
    assert first["role"] == "system"
    return str(first["content"])


def test_relevant_passages_are_numbered_sent_and_stored(
    alice: httpx.Client, admin: httpx.Client, fake: FakeOpenAI, fake_embed: int
) -> None:
    kb = create_kb(alice, fake_embed, score_threshold=0.99)
    doc = add_ready(alice, kb["id"], "guide.md", GUIDE)
    chat_id = _chat(alice, admin, fake, [int(kb["id"])])
    fake.behaviour.reply = "Back up nightly [1]."
    events = collect(alice, f"/api/chat/sessions/{chat_id}/messages", {"content": EXACT_QUESTION})
    names = [event.name for event in events]
    assert names.index("sources") < names.index("content")
    (sources,) = by_name(events, "sources")
    assert len(sources["sources"]) == 1
    source = sources["sources"][0]
    assert source["index"] == 1 and source["document_id"] == doc["id"]
    assert source["filename"] == "guide.md" and source["heading"] == "Guide > Backups"
    assert source["text"] == "Copy the data directory every night."
    assert source["knowledge_base_name"] == "Handbook" and source["score"] > 0.99
    prompt = _system_prompt(fake)
    assert "[1] guide.md — Guide > Backups\nCopy the data directory every night." in prompt
    assert "Cite the passages" in prompt
    detail = alice.get(f"/api/chat/sessions/{chat_id}").json()
    assert detail["messages"][-1]["sources"] == sources["sources"]


def test_nothing_relevant_tells_the_model_so(
    alice: httpx.Client, admin: httpx.Client, fake: FakeOpenAI, fake_embed: int
) -> None:
    kb = create_kb(alice, fake_embed, score_threshold=0.99)
    add_ready(alice, kb["id"], "guide.md", GUIDE)
    chat_id = _chat(alice, admin, fake, [int(kb["id"])])
    events = collect(
        alice, f"/api/chat/sessions/{chat_id}/messages", {"content": "What's for lunch?"}
    )
    assert by_name(events, "sources") == [{"sources": []}]
    prompt = _system_prompt(fake)
    assert "contains nothing relevant" in prompt and "“Handbook”" in prompt
    assert "[1]" not in prompt
    assert alice.get(f"/api/chat/sessions/{chat_id}").json()["messages"][-1]["sources"] == []


def test_a_chat_without_knowledge_sends_no_sources(
    alice: httpx.Client, admin: httpx.Client, fake: FakeOpenAI
) -> None:
    chat_id = _chat(alice, admin, fake, [])
    events = collect(alice, f"/api/chat/sessions/{chat_id}/messages", {"content": "Hi"})
    assert by_name(events, "sources") == []
    assert alice.get(f"/api/chat/sessions/{chat_id}").json()["messages"][-1]["sources"] is None


def test_another_users_private_knowledge_base_cannot_be_chosen(
    server: LiveServer,
    alice: httpx.Client,
    admin: httpx.Client,
    fake: FakeOpenAI,
    fake_embed: int,
) -> None:
    kb = create_kb(alice, fake_embed)
    server.create_user("bob@example.com")
    with login(server, "bob@example.com", "user password 1") as bob:
        created = bob.post("/api/chat/sessions", json={"knowledge_base_ids": [kb["id"]]})
        assert created.status_code == 404
        assert created.json()["code"] == "knowledge_base_not_found"
        own = bob.post("/api/chat/sessions", json={}).json()
        patched = bob.patch(
            f"/api/chat/sessions/{own['id']}", json={"knowledge_base_ids": [kb["id"]]}
        )
        assert patched.status_code == 404
