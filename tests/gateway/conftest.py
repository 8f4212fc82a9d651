"""The gateway against the live server: alice's keys, a chat model and an embedding model of
one fake OpenAI upstream, and the official `openai` SDK as the client."""

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import openai
import pytest

from tests.chat_fixtures import _fresh_fake, chat_model, fake, register_model
from tests.conftest import USER_PASSWORD, LiveServer, login
from tests.fakes.dify import FakeDify
from tests.fakes.openai import FakeOpenAI

__all__ = ["_fresh_fake", "chat_model", "fake"]

CHAT = "openai-compatible-fake-chat/fake-chat"
EMBED = "openai-compatible-fake-embed/fake-embed"


DIFY_KEY = "app-gateway-test-key"


@pytest.fixture(scope="module")
def dify() -> Iterator[FakeDify]:
    with FakeDify(api_key=DIFY_KEY) as server:
        yield server


@pytest.fixture
def embed_model(admin: httpx.Client, fake: FakeOpenAI) -> int:
    return register_model(
        admin,
        preset="openai-compatible",
        base_url=fake.base_url,
        api_key="sk-chat-test",
        model="fake-embed",
        capabilities=["embedding"],
    )


@pytest.fixture
def bob(server: LiveServer) -> Iterator[httpx.Client]:
    server.create_user("bob@example.com")
    with login(server, "bob@example.com", USER_PASSWORD) as http:
        yield http


KeyMaker = Callable[..., dict[str, Any]]


@pytest.fixture
def make_key(alice: httpx.Client, chat_model: int, embed_model: int) -> KeyMaker:
    """Create one of alice's keys (the two models exist first); the answer has its secret."""

    def make(**fields: Any) -> dict[str, Any]:
        created = alice.post("/api/api-keys", json={"name": "tool", **fields})
        assert created.status_code == 201, created.text
        return created.json()  # type: ignore[no-any-return]

    return make


@pytest.fixture
def sdk(server: LiveServer) -> Callable[[str], openai.OpenAI]:
    def client(secret: str) -> openai.OpenAI:
        return openai.OpenAI(base_url=f"{server.url}/v1", api_key=secret, max_retries=0)

    return client


@pytest.fixture
def gpt(make_key: KeyMaker, sdk: Callable[[str], openai.OpenAI]) -> openai.OpenAI:
    """The SDK with a fresh key of alice's that has no limits."""
    return sdk(make_key()["secret"])


def usage_rows(alice: httpx.Client, calls: int) -> dict[str, Any]:
    """Usage rows are written in batches off the hot path: wait until they land."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        usage = alice.get("/api/usage/me").json()
        if usage["totals"]["calls"] >= calls:
            return usage  # type: ignore[no-any-return]
        time.sleep(0.05)
    raise AssertionError("usage rows were not written")
