import httpx

from tests.chat_fixtures import register_model
from tests.conftest import LiveServer, login
from tests.fakes.openai import FakeOpenAI
from tests.sse import by_name, collect


def say(client: httpx.Client, chat_id: int, content: str) -> dict:  # type: ignore[type-arg]
    events = collect(client, f"/api/chat/sessions/{chat_id}/messages", {"content": content})
    return by_name(events, "done")[0]["message"]  # type: ignore[no-any-return]


def test_list_search_rename_pin_delete(
    alice: httpx.Client, chat_model: int, fake: FakeOpenAI
) -> None:
    ids = []
    for topic in ("pasta recipes", "tax questions", "holiday plans"):
        chat = alice.post("/api/chat/sessions", json={"model_id": chat_model}).json()
        fake.behaviour.reply = f"Let us talk about {topic}."
        say(alice, chat["id"], f"Tell me about {topic}")
        ids.append(chat["id"])
    listed = alice.get("/api/chat/sessions").json()
    assert [chat["id"] for chat in listed] == ids[::-1]  # newest first

    assert [c["id"] for c in alice.get("/api/chat/sessions", params={"q": "TAX"}).json()] == [
        ids[1]
    ]
    by_content = alice.get("/api/chat/sessions", params={"q": "talk about holiday"}).json()
    assert [c["id"] for c in by_content] == [ids[2]]
    assert alice.get("/api/chat/sessions", params={"q": "100%"}).json() == []

    renamed = alice.patch(f"/api/chat/sessions/{ids[0]}", json={"title": "Dinner", "pinned": True})
    assert renamed.json()["title"] == "Dinner" and renamed.json()["pinned"] is True
    assert alice.get("/api/chat/sessions").json()[0]["id"] == ids[0]  # pinned first

    assert alice.delete(f"/api/chat/sessions/{ids[0]}").status_code == 204
    assert alice.get(f"/api/chat/sessions/{ids[0]}").status_code == 404


def test_export_markdown_and_json(alice: httpx.Client, chat_id: int, fake: FakeOpenAI) -> None:
    fake.behaviour.reasoning = "Pondering."
    fake.behaviour.reply = "**Bold** answer."
    say(alice, chat_id, "Explain")
    markdown = alice.get(f"/api/chat/sessions/{chat_id}/export")
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert "attachment" in markdown.headers["content-disposition"]
    assert "## You\n\nExplain" in markdown.text and "**Bold** answer." in markdown.text
    assert "Pondering." in markdown.text
    exported = alice.get(f"/api/chat/sessions/{chat_id}/export", params={"format": "json"}).json()
    assert [m["role"] for m in exported["messages"]] == ["user", "assistant"]
    assert (
        alice.get(f"/api/chat/sessions/{chat_id}/export", params={"format": "pdf"}).status_code
        == 422
    )


def test_deleting_a_message_removes_what_followed(alice: httpx.Client, chat_id: int) -> None:
    first = say(alice, chat_id, "one")
    say(alice, chat_id, "two")
    branch = alice.get(f"/api/chat/sessions/{chat_id}").json()["messages"]
    assert len(branch) == 4
    assert alice.delete(f"/api/chat/messages/{branch[2]['id']}").status_code == 204
    remaining = alice.get(f"/api/chat/sessions/{chat_id}").json()["messages"]
    assert [m["id"] for m in remaining] == [branch[0]["id"], first["id"]]


def test_another_users_chat_is_404_everywhere(
    server: LiveServer, alice: httpx.Client, chat_id: int
) -> None:
    answer = say(alice, chat_id, "private")
    server.create_user("bob@example.com")
    with login(server, "bob@example.com", "user password 1") as bob:
        for method, path, body in [
            ("GET", f"/api/chat/sessions/{chat_id}", None),
            ("PATCH", f"/api/chat/sessions/{chat_id}", {"title": "mine"}),
            ("DELETE", f"/api/chat/sessions/{chat_id}", None),
            ("GET", f"/api/chat/sessions/{chat_id}/export", None),
            ("POST", f"/api/chat/sessions/{chat_id}/switch", {"message_id": answer["id"]}),
            ("POST", f"/api/chat/sessions/{chat_id}/messages", {"content": "hi"}),
            ("POST", f"/api/chat/messages/{answer['id']}/regenerate", {}),
            ("POST", f"/api/chat/messages/{answer['id']}/edit", {"content": "x"}),
            ("DELETE", f"/api/chat/messages/{answer['id']}", None),
        ]:
            response = bob.request(method, path, json=body)
            assert response.status_code == 404, (method, path, response.status_code)
        assert bob.get("/api/chat/sessions").json() == []
    assert len(alice.get(f"/api/chat/sessions/{chat_id}").json()["messages"]) == 2


def test_bad_input_writes_nothing(
    admin: httpx.Client, alice: httpx.Client, chat_model: int, chat_id: int, fake: FakeOpenAI
) -> None:
    def message_count() -> int:
        return len(alice.get(f"/api/chat/sessions/{chat_id}").json()["messages"])

    empty = collect(alice, f"/api/chat/sessions/{chat_id}/messages", {"content": "   "})
    assert empty[0].data["status"] == 422
    unknown = collect(
        alice, f"/api/chat/sessions/{chat_id}/messages", {"content": "hi", "model_id": 99999}
    )
    assert unknown[0].data["code"] == "model_not_found"
    bad_parent = collect(
        alice, f"/api/chat/sessions/{chat_id}/messages", {"content": "hi", "parent_id": 99999}
    )
    assert bad_parent[0].data["code"] == "chat_message_not_found"
    assert message_count() == 0

    hidden = register_model(
        admin,
        preset="openai-compatible",
        base_url=fake.base_url,
        api_key="sk-chat-test",
        model="fake-embed",
        visibility="restricted",
        allowed_roles=["admin"],
    )
    assert alice.post("/api/chat/sessions", json={"model_id": hidden}).status_code == 404
    not_visible = collect(
        alice, f"/api/chat/sessions/{chat_id}/messages", {"content": "hi", "model_id": hidden}
    )
    assert not_visible[0].data["code"] == "model_not_found"
    no_model = alice.post("/api/chat/sessions", json={}).json()
    assert (
        collect(alice, f"/api/chat/sessions/{no_model['id']}/messages", {"content": "hi"})[0].data[
            "code"
        ]
        == "model_required"
    )
    assert (
        alice.patch(
            f"/api/chat/sessions/{chat_id}", json={"parameters": {"temperature": 9}}
        ).status_code
        == 422
    )
    assert message_count() == 0
