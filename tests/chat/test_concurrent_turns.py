"""Many answers started at the same moment: every one is admitted, streamed and stored."""

from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.chat.test_chat_streaming import send
from tests.fakes.openai import FakeOpenAI
from tests.sse import by_name

BURST = 40


def test_a_burst_of_turns_is_stored_without_lock_errors(
    alice: httpx.Client, chat_model: int, fake: FakeOpenAI
) -> None:
    fake.behaviour.reply = "one two three four five six"
    fake.behaviour.token_delay = 0.01
    chats = [
        alice.post("/api/chat/sessions", json={"model_id": chat_model}).json()["id"]
        for _ in range(BURST)
    ]
    with ThreadPoolExecutor(max_workers=BURST) as pool:
        results = list(pool.map(lambda chat: send(alice, chat, f"hello {chat}"), chats))

    statuses = [by_name(events, "done")[0]["message"]["status"] for events in results]
    assert statuses == ["complete"] * BURST
    for chat in chats:
        stored = alice.get(f"/api/chat/sessions/{chat}").json()["messages"]
        assert [(m["role"], m["status"]) for m in stored] == [
            ("user", "complete"),
            ("assistant", "complete"),
        ]
