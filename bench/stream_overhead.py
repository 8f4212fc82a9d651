"""Streaming overhead: N concurrent chat streams through llmforge vs directly to the same fake
OpenAI-compatible upstream (fixed token timing). Prints JSON.

    .venv/bin/python bench/stream_overhead.py --streams 200 --rounds 3

Each round runs the direct streams, then the same number through `POST
/api/chat/sessions/{id}/messages`, either all opened at once (a burst, the default) or started
evenly over `--ramp` seconds so that they overlap without arriving in the same instant. Time
to first token (TTFT) is measured by the client from sending the request to the first content
chunk; the figures reported are medians over rounds of each round's p50/p99. The upstream,
the server and this client share the machine.
"""

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.pg import free_port, start_cluster  # noqa: E402 - after the path is set

API_KEY = "bench-key"
ADMIN = ("bench@example.com", "bench password 1")


UPSTREAM_SCRIPT = """
import sys, time
from tests.fakes.openai import FakeOpenAI
fake = FakeOpenAI(api_key=sys.argv[1]).start()
fake.behaviour.reply = "tok " * int(sys.argv[2])
fake.behaviour.chunk_size = 4
fake.behaviour.token_delay = float(sys.argv[3])
print(fake.base_url, flush=True)
while True:
    time.sleep(3600)
"""


def start_upstream(tokens: int, token_delay: float) -> tuple[subprocess.Popen[str], str]:
    """The fake upstream in a process of its own, so it does not share this client's GIL."""
    process = subprocess.Popen(
        [sys.executable, "-c", UPSTREAM_SCRIPT, API_KEY, str(tokens), str(token_delay)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def start_llmforge(data_dir: str, database_url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "LLMFORGE_DATABASE_URL": database_url,
        "LLMFORGE_DATA_DIR": data_dir,
        "LLMFORGE_ADMIN_EMAIL": ADMIN[0],
        "LLMFORGE_ADMIN_PASSWORD": ADMIN[1],
        "LLMFORGE_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "llmforge", "serve", "--port", str(port)]
    process = subprocess.Popen(command, env=env, cwd=data_dir, stdout=subprocess.DEVNULL)
    return process, f"http://127.0.0.1:{port}"


def wait_ready(url: str) -> None:
    deadline = time.monotonic() + 60
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
    token = http.post("/api/auth/login", json={"email": ADMIN[0], "password": ADMIN[1]}).json()
    http.headers["Authorization"] = f"Bearer {token['access_token']}"
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
    return str(token["access_token"]), dict(model)


def set_up_chats(base: str, upstream: str, count: int) -> tuple[str, list[int]]:
    with httpx.Client(base_url=base, timeout=60) as http:
        token, model = signed_in_with_fake_chat(http, upstream)
        chats = [
            http.post("/api/chat/sessions", json={"model_id": model["id"]}).json()["id"]
            for _ in range(count)
        ]
        return token, chats


def is_direct_token(line: str) -> bool:
    """An upstream chunk carrying text (the first chunk only announces the role)."""
    if not line.startswith("data: {"):
        return False
    choices = json.loads(line[6:]).get("choices") or [{}]
    return bool(choices[0].get("delta", {}).get("content"))


def is_llmforge_token(line: str) -> bool:
    return line == "event: content"


async def timed_stream(
    client: httpx.AsyncClient,
    url: str,
    body: dict[str, Any],
    is_token: Callable[[str], bool],
    delay: float,
) -> tuple[float, float]:
    """(seconds to the first line carrying a token, seconds to the end), after `delay`."""
    await asyncio.sleep(delay)
    started = time.perf_counter()
    first = None
    async with client.stream("POST", url, json=body) as response:
        response.raise_for_status()
        async for line in response.aiter_lines():
            if first is None and is_token(line):
                first = time.perf_counter() - started
    if first is None:
        raise RuntimeError("the stream carried no content")
    return first, time.perf_counter() - started


async def run_round(
    targets: list[tuple[str, dict[str, Any]]],
    headers: dict[str, str],
    is_token: Callable[[str], bool],
    ramp: float,
) -> dict[str, Any]:
    """All streams open together (ramp 0: a burst) or start evenly over `ramp` seconds."""
    limits = httpx.Limits(
        max_connections=len(targets) + 10, max_keepalive_connections=len(targets) + 10
    )
    async with httpx.AsyncClient(timeout=300, limits=limits, headers=headers) as client:
        started = time.perf_counter()
        results = await asyncio.gather(
            *(
                timed_stream(client, url, body, is_token, ramp * index / len(targets))
                for index, (url, body) in enumerate(targets)
            ),
            return_exceptions=True,
        )
        wall = time.perf_counter() - started
    ok = [r for r in results if isinstance(r, tuple)]
    ttfts = sorted(r[0] * 1000 for r in ok)
    return {
        "completed": len(ok),
        "errors": len(results) - len(ok),
        "ttft_p50_ms": percentile(ttfts, 50),
        "ttft_p99_ms": percentile(ttfts, 99),
        "wall_s": round(wall, 3),
        "streams_per_second": round(len(ok) / wall, 1),
    }


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    index = min(len(values) - 1, max(0, round(q / 100 * len(values) + 0.5) - 1))
    return round(values[index], 2)


def rss_mb(pid: int) -> dict[str, float]:
    fields = dict(
        line.split(":", 1)
        for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        if ":" in line
    )
    return {
        name: round(int(fields[key].split()[0]) / 1024, 1)
        for name, key in (("rss_mb", "VmRSS"), ("peak_rss_mb", "VmHWM"))
    }


def median_of(rounds: list[dict[str, Any]], key: str) -> float:
    return round(float(statistics.median(r[key] for r in rounds)), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=40, help="words per answer")
    parser.add_argument("--token-delay", type=float, default=0.02, help="seconds between chunks")
    parser.add_argument(
        "--ramp", type=float, default=0.0, help="start the streams evenly over this many seconds"
    )
    parser.add_argument(
        "--postgres", action="store_true", help="a throwaway PostgreSQL cluster instead of SQLite"
    )
    args = parser.parse_args()

    upstream_process, upstream = start_upstream(args.tokens, args.token_delay)
    cluster = start_cluster() if args.postgres else None
    database_url = cluster.create_database("bench") if cluster else ""
    with tempfile.TemporaryDirectory() as data_dir:
        server_process, base = start_llmforge(data_dir, database_url)
        try:
            wait_ready(f"{upstream}/models")
            wait_ready(f"{base}/readyz")
            token, chats = set_up_chats(base, upstream, args.streams)
            direct_body = {
                "model": "fake-chat",
                "stream": True,
                "messages": [{"role": "user", "content": "Hello"}],
            }
            direct_targets = [(f"{upstream}/chat/completions", direct_body)] * args.streams
            through_targets = [
                (f"{base}/api/chat/sessions/{chat}/messages", {"content": "Hello"})
                for chat in chats
            ]
            direct, through = [], []
            for _ in range(args.rounds):
                direct.append(
                    asyncio.run(
                        run_round(
                            direct_targets,
                            {"Authorization": f"Bearer {API_KEY}"},
                            is_direct_token,
                            args.ramp,
                        )
                    )
                )
                through.append(
                    asyncio.run(
                        run_round(
                            through_targets,
                            {"Authorization": f"Bearer {token}"},
                            is_llmforge_token,
                            args.ramp,
                        )
                    )
                )
            memory = rss_mb(server_process.pid)
        finally:
            server_process.terminate()
            server_process.wait(timeout=30)
            upstream_process.terminate()
            upstream_process.wait(timeout=30)
            if cluster:
                cluster.stop()

    summary = {
        "benchmark": "stream_overhead",
        "machine": f"{platform.node()} {os.cpu_count()} cores {platform.machine()}",
        "database": "postgresql" if args.postgres else "sqlite",
        "streams": args.streams,
        "rounds": args.rounds,
        "tokens_per_answer": args.tokens,
        "token_delay_s": args.token_delay,
        "ramp_s": args.ramp,
        "direct": {
            "ttft_p50_ms": median_of(direct, "ttft_p50_ms"),
            "ttft_p99_ms": median_of(direct, "ttft_p99_ms"),
            "errors": sum(r["errors"] for r in direct),
            "tokens_per_second": round(args.streams * args.tokens / median_of(direct, "wall_s")),
        },
        "llmforge": {
            "ttft_p50_ms": median_of(through, "ttft_p50_ms"),
            "ttft_p99_ms": median_of(through, "ttft_p99_ms"),
            "errors": sum(r["errors"] for r in through),
            "tokens_per_second": round(args.streams * args.tokens / median_of(through, "wall_s")),
            **memory,
        },
        "rounds_detail": {"direct": direct, "llmforge": through},
    }
    summary["added_ttft_p50_ms"] = round(
        summary["llmforge"]["ttft_p50_ms"] - summary["direct"]["ttft_p50_ms"], 2
    )
    summary["added_ttft_p99_ms"] = round(
        summary["llmforge"]["ttft_p99_ms"] - summary["direct"]["ttft_p99_ms"], 2
    )
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
