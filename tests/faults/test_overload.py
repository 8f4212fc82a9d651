"""An overloaded server says so: when every database connection stays taken for the pool's
timeout, a request gets 503 `server_busy` with Retry-After (in OpenAI's error shape on /v1),
not a 500, and the next requests work once connections are free again."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from llmforge.db import POOL_OVERFLOW, POOL_SIZE
from llmforge.settings import Settings
from tests.conftest import USER_PASSWORD, LiveServer, login, running

POOL_CAPACITY = POOL_SIZE + POOL_OVERFLOW


@pytest.fixture(scope="module")
def busy_server(tmp_path_factory: pytest.TempPathFactory, web_dist: Path) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("data-overload")
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=data_dir,
        web_dist=web_dist,
        training_in_process_scheduler=False,
        database_pool_timeout_seconds=0.3,
    )
    with running(settings, "sqlite") as server:
        yield server


async def _take_every_connection(server: LiveServer) -> list[Any]:
    return [await server.app.state.engine.connect() for _ in range(POOL_CAPACITY)]


async def _give_back(connections: list[Any]) -> None:
    for connection in connections:
        await connection.close()


def test_a_request_that_finds_no_free_connection_gets_503_server_busy(
    busy_server: LiveServer,
) -> None:
    busy_server.create_user("alice@example.com")
    with login(busy_server, "alice@example.com", USER_PASSWORD) as alice:
        secret = alice.post("/api/api-keys", json={"name": "tool"}).json()["secret"]
        gpt = openai.OpenAI(base_url=f"{busy_server.url}/v1", api_key=secret, max_retries=0)
        taken = busy_server.call(_take_every_connection(busy_server))
        try:
            page = alice.get("/api/chat/sessions")
            with pytest.raises(openai.APIStatusError) as refused:
                gpt.models.list()
        finally:
            busy_server.call(_give_back(taken))
        assert page.status_code == 503 and page.headers["Retry-After"] == "1"
        assert page.json()["code"] == "server_busy" and "too busy" in page.json()["message"]
        assert refused.value.status_code == 503
        assert refused.value.body["code"] == "server_busy"  # type: ignore[index]
        assert refused.value.body["type"] == "api_error"  # type: ignore[index]
        assert alice.get("/api/chat/sessions").status_code == 200
        assert gpt.models.list().data == []
