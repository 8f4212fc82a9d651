"""Gateway overhead: non-streaming chat completions at fixed request rates through llmforge's
/v1 (a platform API key) vs directly to the same fake OpenAI-compatible upstream. Prints JSON.

    .venv/bin/python bench/gateway_overhead.py --rps 100 500 1000 --seconds 10 --rounds 3 \
        --postgres --workers 2

For each rate, each round sends the direct requests, then the same number through llmforge;
latency is measured by the client (bench/load.py, open-loop) from sending to the whole answer.
Reported: medians over rounds of each round's p50/p99 and the added latency (llmforge minus
direct), the errors, and the server's memory.
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import httpx
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import load
from bench.harness import (
    API_KEY,
    Stack,
    median_of,
    rss_mb,
    set_up_key,
    signed_in_with_fake_chat,
    stack,
)

BODY = {"model": "fake-chat", "messages": [{"role": "user", "content": "Hello"}]}


def answered(body: Any) -> bool:
    return bool(body["choices"][0]["message"]["content"])


def one_round(url: str, body: dict[str, Any], key: str, rps: int, seconds: float) -> Any:
    requests = [load.post_json(url, body, answered)] * max(1, int(rps * seconds))
    return uvloop.run(load.open_loop(requests, rps, {"Authorization": f"Bearer {key}"}))


def measure(rps: int, args: argparse.Namespace, running: Stack, model: str, key: str) -> Any:
    direct, through = [], []
    for _ in range(args.rounds):
        url = f"{running.upstream}/chat/completions"
        direct.append(one_round(url, BODY, API_KEY, rps, args.seconds))
        url, body = f"{running.base}/v1/chat/completions", {**BODY, "model": model}
        through.append(one_round(url, body, key, rps, args.seconds))
    summary: dict[str, Any] = {"rps": rps}
    for name, rounds in (("direct", direct), ("llmforge", through)):
        summary[name] = {
            "p50_ms": median_of(rounds, "p50_ms"),
            "p99_ms": median_of(rounds, "p99_ms"),
            "errors": sum(r["errors"] for r in rounds),
            "achieved_rps": median_of(rounds, "achieved_rps"),
        }
    for q in ("p50", "p99"):
        added = summary["llmforge"][f"{q}_ms"] - summary["direct"][f"{q}_ms"]
        summary[f"added_{q}_ms"] = round(added, 2)
    summary["rounds_detail"] = {"direct": direct, "llmforge": through}
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rps", type=int, nargs="+", default=[100, 500, 1000])
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--workers", type=int, default=1, help="server processes (Redis if >1)")
    args = parser.parse_args()

    with stack(postgres=args.postgres, workers=args.workers) as running:
        with httpx.Client(base_url=running.base, timeout=60) as http:
            signed_in_with_fake_chat(http, running.upstream)
            model, key = set_up_key(http)
        rates = [measure(rps, args, running, model, key) for rps in args.rps]
        memory = rss_mb(running.server.pid)
    print(
        json.dumps(
            {
                "benchmark": "gateway_overhead",
                **running.describe(),
                "seconds_per_round": args.seconds,
                "rounds": args.rounds,
                "rates": rates,
                "server_rss_mb": memory,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
