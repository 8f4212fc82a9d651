"""Two llmforge server processes, as two hosts behind a load balancer would run: each with its
own data directory, sharing one real PostgreSQL and one real Redis (both on loopback)."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from tests.llamafactory_env import tiny_model_path
from tests.pg import PostgresCluster, free_port
from tests.redis_server import RedisServer, start_redis

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "scale-out admin password"
ALICE_EMAIL = "alice@example.com"
ALICE_PASSWORD = "scale-out alice password"


@dataclass
class ServerProcess:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    server = start_redis()
    yield server
    server.stop()


def _environment(data_dir: Path) -> dict[str, str]:
    web = data_dir / "web"
    web.mkdir(parents=True)
    (web / "index.html").write_text("<!doctype html><title>llmforge</title>")
    return {
        **os.environ,
        "LLMFORGE_DATA_DIR": str(data_dir),
        "LLMFORGE_WEB_DIST": str(web),
        "LLMFORGE_ADMIN_EMAIL": ADMIN_EMAIL,
        "LLMFORGE_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "LLMFORGE_TRAINING_IN_PROCESS_SCHEDULER": "false",  # queued jobs stay queued
        "LLMFORGE_MODEL_ROOTS": f'["{tiny_model_path().parent}"]',
    }


def start_server_process(environment: dict[str, str], workdir: Path) -> ServerProcess:
    port = free_port()
    log = workdir / f"server-{port}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "llmforge", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=environment,
        cwd=workdir,  # no stray .env is read
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    server = ServerProcess(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{server.url}/readyz", timeout=5).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"the server process did not become ready:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def host_settings() -> dict[str, str]:
    """Settings every host of a module's deployment gets besides the shared ones."""
    return {}


@dataclass
class Deployment:
    """One database and one Redis, and the hosts started on them (stopped at the end)."""

    environment: dict[str, str]
    workdirs: pytest.TempPathFactory
    hosts: list[ServerProcess]

    def start_host(self, name: str) -> ServerProcess:
        """Start a host; the first one started migrates the database."""
        workdir = self.workdirs.mktemp(f"host-{name}")
        environment = {**_environment(workdir / "data"), **self.environment}
        self.hosts.append(start_server_process(environment, workdir))
        return self.hosts[-1]


@pytest.fixture(scope="module")
def deployment(
    postgres: PostgresCluster,
    redis_server: RedisServer,
    tmp_path_factory: pytest.TempPathFactory,
    host_settings: dict[str, str],
) -> Iterator[Deployment]:
    shared = {
        "LLMFORGE_DATABASE_URL": postgres.create_database(f"llmforge_scaleout_{free_port()}"),
        "LLMFORGE_REDIS_URL": redis_server.url,
        "LLMFORGE_SECRET_KEY": "scale-out-test-signing-key-" + "x" * 32,
        "LLMFORGE_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        **host_settings,
    }
    hosts = Deployment(shared, tmp_path_factory, [])
    try:
        yield hosts
    finally:
        for host in hosts.hosts:
            host.stop()


@pytest.fixture(scope="module")
def two_servers(deployment: Deployment) -> tuple[ServerProcess, ServerProcess]:
    return deployment.start_host("a"), deployment.start_host("b")


def sign_in(server: ServerProcess, email: str, password: str) -> str:
    response = httpx.post(
        f"{server.url}/api/auth/login", json={"email": email, "password": password}, timeout=30
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@pytest.fixture(scope="module")
def alice_token(two_servers: tuple[ServerProcess, ServerProcess]) -> str:
    first, _ = two_servers
    registered = httpx.post(
        f"{first.url}/api/auth/register",
        json={"email": ALICE_EMAIL, "password": ALICE_PASSWORD},
        timeout=30,
    )
    assert registered.status_code == 201, registered.text
    return sign_in(first, ALICE_EMAIL, ALICE_PASSWORD)


@pytest.fixture(scope="module")
def admin_token(two_servers: tuple[ServerProcess, ServerProcess]) -> str:
    return sign_in(two_servers[1], ADMIN_EMAIL, ADMIN_PASSWORD)
