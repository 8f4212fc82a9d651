"""Real parts: each backend test runs against a real uvicorn server over loopback HTTP, once on
a SQLite file and once on a throwaway PostgreSQL cluster. Tables are emptied between tests."""

import asyncio
import threading
import time
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import delete

from llmforge.app import create_app
from llmforge.core import security
from llmforge.migrate import upgrade
from llmforge.models import Base
from llmforge.settings import Settings
from llmforge.users import service as users
from llmforge.users.models import Role, User
from llmforge.users.schemas import UserCreate
from tests.llamafactory_env import serve_openai_api, smollm2_path
from tests.pg import PostgresCluster, free_port, start_cluster

T = TypeVar("T")

# Property tests judge correctness, not speed: on a busy shared machine input generation and
# single examples can be slow, which must not fail a run.
hypothesis_settings.register_profile(
    "llmforge", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("llmforge")

# The same Argon2id, at its cheapest cost: the default spends ~0.2 s of CPU per hash and per
# check, and nearly every test signs two users up and in (it was a third of the suite's time).
_CHEAP_ARGON2 = Argon2Hasher(time_cost=1, memory_cost=8192, parallelism=1)
security.password_hasher.hashers = (_CHEAP_ARGON2, *security.password_hasher.hashers[1:])
security.password_hasher.current_hasher = _CHEAP_ARGON2
ADMIN_EMAIL = "root@example.com"
ADMIN_PASSWORD = "correct horse battery"
USER_PASSWORD = "user password 1"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--database",
        choices=("sqlite", "postgres"),
        help="run only the tests on this database (the tests that use no live server go with "
        "postgres): `make test` runs the two halves side by side",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    chosen = config.getoption("database")
    if chosen is None:
        return
    keep, drop = [], []
    for item in items:
        (keep if _half(item) == chosen else drop).append(item)
    config.hook.pytest_deselected(items=drop)
    items[:] = keep


def _half(item: pytest.Item) -> str:
    """A live-server test goes with its database; the others with PostgreSQL unless marked
    `half("sqlite")` (a heavy module moved there to even out the two halves' time)."""
    callspec = getattr(item, "callspec", None)
    if callspec and "live_server" in callspec.params:
        return str(callspec.params["live_server"])
    marker = item.get_closest_marker("half")
    return str(marker.args[0]) if marker else "postgres"


@dataclass
class LiveServer:
    url: str
    settings: Settings
    app: FastAPI
    loop: asyncio.AbstractEventLoop
    backend: str

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the server's event loop (its engine lives there)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=60)

    async def _in_transaction(self, work: Any) -> Any:
        async with self.app.state.session_factory() as session, session.begin():
            return await work(session)

    def db(self, work: Any) -> Any:
        """Run `await work(session)` in a committed transaction of its own."""
        return self.call(self._in_transaction(work))

    def create_user(
        self, email: str, password: str = USER_PASSWORD, role: Role = Role.user
    ) -> User:
        data = UserCreate(email=email, password=password, role=role)
        return self.db(lambda session: users.create(session, data))  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    cluster = start_cluster()
    yield cluster
    cluster.stop()


SMOLLM2_MODEL_NAME = "smollm2-test"
SMOLLM2_API_KEY = "sk-llamafactory-test"


@pytest.fixture(scope="session")
def smollm2_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `llamafactory-cli api` serving SmolLM2-135M-Instruct on loopback (base URL /v1).
    Needs `make llamafactory`; without it the tests that use this fail with that hint."""
    workdir = tmp_path_factory.mktemp("smollm2-api")
    with serve_openai_api(
        smollm2_path(), api_key=SMOLLM2_API_KEY, model_name=SMOLLM2_MODEL_NAME, workdir=workdir
    ) as url:
        yield url


@pytest.fixture(scope="session")
def web_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stand-in bundle for the SPA-serving tests; the browser tests use the real build."""
    dist = tmp_path_factory.mktemp("dist")
    (dist / "assets").mkdir()
    (dist / "index.html").write_text("<!doctype html><div id=app>llmforge-test-index</div>")
    (dist / "assets" / "app-1234.js").write_text("console.log('asset')")
    (dist / "favicon.ico").write_bytes(b"icon")
    return dist


def database_url_for(backend: str, request: pytest.FixtureRequest, data_dir: Path) -> str:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{data_dir / 'llmforge.db'}"
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    return cluster.create_database(f"llmforge_{free_port()}")


def start_server(
    app: FastAPI,
) -> tuple[uvicorn.Server, asyncio.AbstractEventLoop, threading.Thread, int]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    )
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(server.serve(),), daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    return server, loop, thread, port


@contextmanager
def running(settings: Settings, backend: str) -> Iterator[LiveServer]:
    """llmforge migrated and served over loopback HTTP from a thread of this process."""
    upgrade(settings)
    app = create_app(settings)
    server, loop, thread, port = start_server(app)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", settings, app, loop, backend)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def live_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, web_dist: Path
) -> Iterator[LiveServer]:
    backend: str = request.param
    data_dir = tmp_path_factory.mktemp(f"data-{backend}")
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=data_dir,
        database_url=database_url_for(backend, request, data_dir),
        web_dist=web_dist,
        max_request_body_bytes=64 * 1024,
        # no background scheduler claims the jobs tests write; training tests start their own
        training_in_process_scheduler=False,
    )
    with running(settings, backend) as server:
        yield server


async def _empty_tables(app: FastAPI) -> None:
    # nothing from one test may land in the next: no usage rows in flight, no model server left
    # supervised under an id (SQLite reuses ids once the tables are emptied), no scheduler
    # claiming the jobs a test writes
    await app.state.usage_recorder.flush()
    await app.state.serving_supervisor.stop_children()
    if app.state.training_scheduler is not None:  # a test's own (tests/training/helpers.py)
        await app.state.training_scheduler.stop()
        app.state.training_scheduler = None
    async with app.state.session_factory() as session, session.begin():
        for table in reversed(Base.metadata.sorted_tables):
            await session.execute(delete(table))


@pytest.fixture(autouse=True)
def _clean_database(request: pytest.FixtureRequest) -> None:
    if "live_server" in request.fixturenames:
        server: LiveServer = request.getfixturevalue("live_server")
        server.call(_empty_tables(server.app))


@pytest.fixture
def server(live_server: LiveServer) -> LiveServer:
    return live_server


@pytest.fixture
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        yield http


@contextmanager
def login(server: LiveServer, email: str, password: str) -> Iterator[httpx.Client]:
    """A client signed in as `email`, with its refresh cookie and Authorization header set."""
    with httpx.Client(base_url=server.url, timeout=30) as http:
        response = http.post("/api/auth/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        http.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
        yield http


def can_sign_in(server: LiveServer, email: str, password: str) -> bool:
    response = httpx.post(
        f"{server.url}/api/auth/login", json={"email": email, "password": password}
    )
    return response.status_code == 200


@pytest.fixture
def admin(server: LiveServer) -> Iterator[httpx.Client]:
    server.create_user(ADMIN_EMAIL, ADMIN_PASSWORD, Role.admin)
    with login(server, ADMIN_EMAIL, ADMIN_PASSWORD) as http:
        yield http


@pytest.fixture
def alice(server: LiveServer) -> Iterator[httpx.Client]:
    server.create_user("alice@example.com")
    with login(server, "alice@example.com", USER_PASSWORD) as http:
        yield http
