"""Several hosts share one database: a host that starts leaves the answers the others are
streaming alone, and the answers of a host that dies (`kill -9`) are marked interrupted by the
hosts that remain, within a few heartbeats."""

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.chat_fixtures import register_model
from tests.fakes.openai import FakeOpenAI
from tests.scaleout.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Deployment, ServerProcess, sign_in
from tests.sse import iter_events

HEARTBEAT_SECONDS = 0.5
Servers = tuple[ServerProcess, ServerProcess]


@pytest.fixture(scope="module")
def host_settings() -> dict[str, str]:
    return {"LLMFORGE_STREAM_HEARTBEAT_SECONDS": str(HEARTBEAT_SECONDS)}


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key="sk-lost-hosts") as fake:
        fake.behaviour.reply, fake.behaviour.token_delay = "word " * 300, 0.05  # 15 s
        yield fake


@pytest.fixture(scope="module")
def model_id(two_servers: Servers, upstream: FakeOpenAI) -> int:
    with two_servers[1].client(sign_in(two_servers[1], ADMIN_EMAIL, ADMIN_PASSWORD)) as admin:
        return register_model(
            admin,
            preset="openai-compatible",
            base_url=upstream.base_url,
            api_key="sk-lost-hosts",
            model="fake-chat",
        )


def _stream_in_background(host: ServerProcess, token: str, path: str, body: Any) -> threading.Event:
    """Start streaming `body` to `path` and return once content arrives; read on until it ends."""
    streaming = threading.Event()
    refused: list[str] = []

    def read() -> None:
        try:
            with host.client(token) as client, client.stream("POST", path, json=body) as response:
                if response.status_code != 200:
                    refused.append(response.read().decode())
                for event in iter_events(response):
                    if event.name == "content":
                        streaming.set()
        except httpx.TransportError:  # the host was killed
            pass

    threading.Thread(target=read, daemon=True).start()
    assert streaming.wait(30), f"nothing was streamed: {refused}"
    return streaming


def _statuses(host: ServerProcess, token: str, chat_id: int, run_id: int) -> list[str]:
    with host.client(token) as client:
        answer = client.get(f"/api/chat/sessions/{chat_id}").json()["messages"][-1]
        lanes = client.get(f"/api/compare/{run_id}").json()["lanes"]
    return [f"{answer['status']}:{answer['finish_reason']}"] + [
        f"{lane['status']}:{lane['finish_reason']}" for lane in lanes
    ]


def _eventually(check: Callable[[], bool], within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def test_a_starting_host_spares_live_answers_and_a_dead_hosts_are_interrupted(
    deployment: Deployment, two_servers: Servers, alice_token: str, model_id: int
) -> None:
    first, second = two_servers
    with first.client(alice_token) as alice:
        chat_id = alice.post("/api/chat/sessions", json={"model_id": model_id}).json()["id"]
    _stream_in_background(
        first, alice_token, f"/api/chat/sessions/{chat_id}/messages", {"content": "Go on"}
    )
    _stream_in_background(
        first,
        alice_token,
        "/api/compare",
        {"prompt": "Go on", "lanes": [{"model_id": model_id}] * 2},
    )
    with second.client(alice_token) as alice:
        run_id = alice.get("/api/compare").json()["items"][0]["id"]

    deployment.start_host("c")  # a host joining (or restarting) while the first one streams
    time.sleep(HEARTBEAT_SECONDS * 6)  # twice the time after which a silent host is lost
    assert _statuses(second, alice_token, chat_id, run_id) == ["streaming:None"] * 3

    os.kill(first.process.pid, signal.SIGKILL)
    lost = ["interrupted:server_restart"] * 3
    assert _eventually(lambda: _statuses(second, alice_token, chat_id, run_id) == lost, 10)
