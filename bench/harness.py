"""What the benchmarks share: the processes they measure and the numbers they report.

A benchmark runs a fake OpenAI-compatible upstream (its own process), llmforge (`llmforge
serve`, its own process or processes) on SQLite or on a throwaway PostgreSQL cluster, with
Redis when it runs several workers, and measures from a client in the benchmark's process. All
of them share the machine; `machine()` says which one it was."""

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from llmforge.core import collector

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.pg import free_port, start_cluster  # noqa: E402 - after the path is set
from tests.redis_server import start_redis  # noqa: E402

API_KEY = "bench-key"
ADMIN = ("bench@example.com", "bench password 1")

# The fake provider and the load generator hold as many streams as the server, and their own
# full collections stalled the streams they held as much as the server's did (in the direct
# baseline too), so they are tuned as the server is.
UPSTREAM_SCRIPT = """
import sys, time
from llmforge.core import collector
from tests.fakes.openai import FakeOpenAI
fake = FakeOpenAI(api_key=sys.argv[1]).start()
fake.behaviour.reply = "tok " * int(sys.argv[2])
fake.behaviour.chunk_size = 4
fake.behaviour.token_delay = float(sys.argv[3])
print(fake.base_url, flush=True)
with collector.tuned_for_many_streams():
    while True:
        time.sleep(3600)
"""


@dataclass
class Stack:
    upstream: str
    base: str
    server: subprocess.Popen[bytes]
    database: str
    workers: int

    def describe(self) -> dict[str, Any]:
        return {"machine": machine(), "database": self.database, "workers": self.workers}


def machine() -> str:
    load = os.getloadavg()[0]
    return f"{platform.node()} {os.cpu_count()} cores {platform.machine()} (load {load:.1f})"


def _start_upstream(tokens: int, token_delay: float) -> tuple[subprocess.Popen[str], str]:
    """The fake upstream in a process of its own, so it does not share the client's GIL."""
    process = subprocess.Popen(
        [sys.executable, "-c", UPSTREAM_SCRIPT, API_KEY, str(tokens), str(token_delay)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def start_llmforge(data_dir: str, environment: dict[str, str], workers: int = 1) -> Any:
    port = free_port()
    env = {
        **os.environ,
        **environment,
        "LLMFORGE_DATA_DIR": data_dir,
        "LLMFORGE_ADMIN_EMAIL": ADMIN[0],
        "LLMFORGE_ADMIN_PASSWORD": ADMIN[1],
        "LLMFORGE_LOG_LEVEL": "WARNING",
        "LLMFORGE_SECRET_KEY": "bench-signing-key-" + "x" * 40,
        "LLMFORGE_ENCRYPTION_KEY": "H2sYz1Xm0q6nFv7s6Qm0b3GQ0b1dJt9dZlZbq3m9Y0s=",
    }
    command = [sys.executable, "-m", "llmforge", "serve", "--port", str(port)]
    command += ["--workers", str(workers)]
    process = subprocess.Popen(command, env=env, cwd=data_dir, stdout=subprocess.DEVNULL)
    return process, f"http://127.0.0.1:{port}"


def _stopped(process: subprocess.Popen[Any]) -> None:
    process.terminate()
    process.wait(timeout=60)


@contextmanager
def stack(
    *, postgres: bool, workers: int = 1, tokens: int = 20, token_delay: float = 0.0
) -> Iterator[Stack]:
    """Upstream, database, Redis (with several workers) and llmforge, stopped afterwards.
    Several workers need a Qdrant server URL to start; no benchmark touches knowledge bases,
    so an unused address stands in."""
    with ExitStack() as cleanup:
        upstream_process, upstream = _start_upstream(tokens, token_delay)
        cleanup.callback(_stopped, upstream_process)
        environment: dict[str, str] = {}
        if postgres:
            cluster = start_cluster()
            cleanup.callback(cluster.stop)
            environment["LLMFORGE_DATABASE_URL"] = cluster.create_database("bench")
        if workers > 1:
            redis = start_redis()
            cleanup.callback(redis.stop)
            environment["LLMFORGE_REDIS_URL"] = redis.url
            environment["LLMFORGE_QDRANT_URL"] = f"http://127.0.0.1:{free_port()}"
        data_dir = cleanup.enter_context(tempfile.TemporaryDirectory())
        server, base = start_llmforge(data_dir, environment, workers)
        cleanup.callback(_stopped, server)
        wait_ready(f"{upstream}/models")
        wait_ready(f"{base}/readyz")
        cleanup.enter_context(collector.tuned_for_many_streams())
        yield Stack(upstream, base, server, "postgresql" if postgres else "sqlite", workers)


def wait_ready(url: str) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def signed_in_with_fake_chat(http: httpx.Client, upstream: str) -> tuple[str, dict[str, Any]]:
    """Sign the admin in on `http`, add a provider for the upstream and enable its fake-chat
    model: (access token, model)."""
    token = admin_signed_in(http)
    provider = http.post(
        "/api/providers",
        json={
            "name": "bench",
            "preset": "openai-compatible",
            "base_url": upstream,
            "api_key": API_KEY,
        },
    ).json()
    http.post(f"/api/providers/{provider['id']}/refresh-models").raise_for_status()
    model = next(
        m
        for m in http.get(f"/api/providers/{provider['id']}/models").json()
        if m["model_id"] == "fake-chat"
    )
    http.patch(f"/api/models/{model['id']}", json={"enabled": True}).raise_for_status()
    return token, dict(model)


def admin_signed_in(http: httpx.Client) -> str:
    """Sign the admin in on `http`; its access token."""
    answer = http.post("/api/auth/login", json={"email": ADMIN[0], "password": ADMIN[1]})
    token = str(answer.json()["access_token"])
    http.headers["Authorization"] = f"Bearer {token}"
    return token


def set_up_chats(http: httpx.Client, model_id: int, count: int) -> list[int]:
    return [
        http.post("/api/chat/sessions", json={"model_id": model_id}).json()["id"]
        for _ in range(count)
    ]


def set_up_key(http: httpx.Client) -> tuple[str, str]:
    """An API key of the signed-in user: (the fake chat model's gateway name, the secret)."""
    key = http.post("/api/api-keys", json={"name": "bench"})
    key.raise_for_status()
    return "bench/fake-chat", str(key.json()["secret"])


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return round(ordered[index], 2)


def median_of(rounds: list[dict[str, Any]], key: str) -> float:
    return round(float(statistics.median(r[key] for r in rounds)), 2)


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def rss_mb(pid: int) -> float:
    """Resident memory of the server: the process and its worker processes."""
    total = 0
    for process in [pid, *_children(pid)]:
        for line in Path(f"/proc/{process}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return round(total / 1024, 1)
