from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import USER_PASSWORD, LiveServer, login
from tests.fakes.dify import FakeDify

APP_KEY = "app-Xq7rT2mN9vB4kL8s"


@pytest.fixture(scope="module")
def dify() -> Iterator[FakeDify]:
    with FakeDify(api_key=APP_KEY) as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh_dify(dify: FakeDify) -> None:
    dify.reset()
    dify.mode = "chat"


@pytest.fixture
def bob(server: LiveServer) -> Iterator[httpx.Client]:
    server.create_user("bob@example.com")
    with login(server, "bob@example.com", USER_PASSWORD) as http:
        yield http


def register(client: httpx.Client, dify: FakeDify, **fields: object) -> dict:  # type: ignore[type-arg]
    body = {
        "name": "Helpdesk",
        "base_url": dify.base_url,
        "api_key": APP_KEY,
        "app_type": "chat",
        **fields,
    }
    response = client.post("/api/dify-apps", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]
