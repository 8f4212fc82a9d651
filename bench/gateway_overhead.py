"""Gateway overhead: non-streaming chat completions at a fixed request rate through llmforge's
/v1 (a platform API key) vs directly to the same fake OpenAI-compatible upstream. Prints JSON.

    .venv/bin/python bench/gateway_overhead.py --rps 100 500 1000 --seconds 10 --rounds 3

Requests are sent open-loop: request i leaves at i / rps seconds whatever the earlier ones are
doing, so a slow server shows as latency, not as a lower rate. For each rate, each round runs
the direct requests, then the same number through llmforge; latency is measured by the client
from sending to the whole answer. Reported: medians over rounds of each round's p50/p99 and
the added latency (llmforge minus direct). The upstream, the server and this client share the
machine.
"""

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.pg import start_cluster  # noqa: E402

from bench.stream_overhead import (  # noqa: E402 - after the path is set
    API_KEY,
    median_of,
    percentile,
    rss_mb,
    signed_in_with_fake_chat,
    start_llmforge,
    start_upstream,
    wait_ready,
)

BODY = {"model": "fake-chat", "messages": [{"role": "user", "content": "Hello"}]}


def set_up_key(base: str, upstream: str) -> tuple[str, str]:
    """A provider for the upstream with fake-chat enabled, and an API key: (model name, key)."""
    with httpx.Client(base_url=base, timeout=60) as http:
        signed_in_with_fake_chat(http, upstream)
        key = http.post("/api/api-keys", json={"name": "bench"})
        key.raise_for_status()
        return "bench/fake-chat", key.json()["secret"]


async def timed_request(
    client: httpx.AsyncClient, url: str, body: dict[str, Any], at: float
) -> float:
    """Seconds from sending at `at` (a perf_counter moment) to the whole answer."""
    await asyncio.sleep(max(0.0, at - time.perf_counter()))
    started = time.perf_counter()
    response = await client.post(url, json=body)
    response.raise_for_status()
    if not response.json()["choices"][0]["message"]["content"]:
        raise RuntimeError("an empty answer")
    return time.perf_counter() - started


async def run_round(
    url: str, body: dict[str, Any], key: str, rps: int, seconds: float
) -> dict[str, Any]:
    count = max(1, int(rps * seconds))
    limits = httpx.Limits(max_connections=2000, max_keepalive_connections=2000)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(timeout=60, limits=limits, headers=headers) as client:
        start = time.perf_counter() + 0.1
        results = await asyncio.gather(
            *(timed_request(client, url, body, start + index / rps) for index in range(count)),
            return_exceptions=True,
        )
        wall = time.perf_counter() - start
    latencies = sorted(r * 1000 for r in results if isinstance(r, float))
    return {
        "requests": count,
        "errors": count - len(latencies),
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "achieved_rps": round(len(latencies) / wall, 1),
    }


def measure(
    rps: int, args: argparse.Namespace, upstream: str, base: str, model: str, key: str
) -> dict[str, Any]:
    direct, through = [], []
    for _ in range(args.rounds):
        direct.append(
            asyncio.run(run_round(f"{upstream}/chat/completions", BODY, API_KEY, rps, args.seconds))
        )
        through.append(
            asyncio.run(
                run_round(
                    f"{base}/v1/chat/completions", {**BODY, "model": model}, key, rps, args.seconds
                )
            )
        )
    summary: dict[str, Any] = {"rps": rps}
    for name, rounds in (("direct", direct), ("llmforge", through)):
        summary[name] = {
            "p50_ms": median_of(rounds, "p50_ms"),
            "p99_ms": median_of(rounds, "p99_ms"),
            "errors": sum(r["errors"] for r in rounds),
            "achieved_rps": median_of(rounds, "achieved_rps"),
        }
    for q in ("p50", "p99"):
        summary[f"added_{q}_ms"] = round(
            summary["llmforge"][f"{q}_ms"] - summary["direct"][f"{q}_ms"], 2
        )
    summary["rounds_detail"] = {"direct": direct, "llmforge": through}
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rps", type=int, nargs="+", default=[100, 500, 1000])
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--postgres", action="store_true", help="a throwaway PostgreSQL cluster instead of SQLite"
    )
    args = parser.parse_args()

    upstream_process, upstream = start_upstream(tokens=20, token_delay=0.0)
    cluster = start_cluster() if args.postgres else None
    database_url = cluster.create_database("bench") if cluster else ""
    with tempfile.TemporaryDirectory() as data_dir:
        server_process, base = start_llmforge(data_dir, database_url)
        try:
            wait_ready(f"{upstream}/models")
            wait_ready(f"{base}/readyz")
            model, key = set_up_key(base, upstream)
            rates = [measure(rps, args, upstream, base, model, key) for rps in args.rps]
            memory = rss_mb(server_process.pid)
        finally:
            server_process.terminate()
            server_process.wait(timeout=30)
            upstream_process.terminate()
            upstream_process.wait(timeout=30)
            if cluster:
                cluster.stop()

    print(
        json.dumps(
            {
                "benchmark": "gateway_overhead",
                "machine": f"{platform.node()} {os.cpu_count()} cores {platform.machine()}",
                "database": "postgresql" if args.postgres else "sqlite",
                "seconds_per_round": args.seconds,
                "rounds": args.rounds,
                "rates": rates,
                "llmforge_memory": memory,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
