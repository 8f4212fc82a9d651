"""Soak: minutes of mixed load on one server, sampling its memory. Prints JSON.

    .venv/bin/python bench/soak.py --minutes 10 --postgres --workers 2

The mix, all at once: `--users` page users acting once a second (bench/crud_mix.py), gateway
chat completions at `--gateway-rps`, and chat turns streamed at `--streams-per-second`. The
server's resident memory (all its processes) is sampled every 10 s; reported: the memory after
the first minute (warm-up: caches, pools, imports), at the end, the growth between them in
percent, and the errors and latencies of each kind of request.
"""

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import load
from bench.crud_mix import run_mix, set_up_users
from bench.gateway_overhead import answered
from bench.harness import (
    Stack,
    admin_signed_in,
    rss_mb,
    set_up_chats,
    set_up_key,
    stack,
)
from bench.stream_overhead import is_chat_token

WARM_UP_SECONDS = 60
SAMPLE_SECONDS = 10


async def sample_memory(pid: int, seconds: float) -> list[tuple[float, float]]:
    samples, started = [], time.monotonic()
    while (elapsed := time.monotonic() - started) < seconds:
        samples.append((round(elapsed), rss_mb(pid)))
        await asyncio.sleep(SAMPLE_SECONDS)
    samples.append((round(time.monotonic() - started), rss_mb(pid)))
    return samples


async def soak(args: argparse.Namespace, running: Stack) -> dict[str, Any]:
    seconds = args.minutes * 60
    users, model_id = await set_up_users(running, args.users)
    with httpx.Client(base_url=running.base, timeout=60) as http:
        token = admin_signed_in(http)
        name, key = set_up_key(http)
        chats = set_up_chats(http, model_id, max(1, int(args.streams_per_second * 10)))
    gateway = [
        load.post_json(
            f"{running.base}/v1/chat/completions",
            {"model": name, "messages": [{"role": "user", "content": "Hello"}]},
            answered,
        )
    ] * int(args.gateway_rps * seconds)
    turns = [
        load.stream(
            f"{running.base}/api/chat/sessions/{chats[i % len(chats)]}/messages",
            {"content": "Hello"},
            is_chat_token,
        )
        for i in range(int(args.streams_per_second * seconds))
    ]
    memory, pages, completions, streams = await asyncio.gather(
        sample_memory(running.server.pid, seconds),
        run_mix(running.base, users, seconds),
        load.open_loop(gateway, args.gateway_rps, {"Authorization": f"Bearer {key}"}),
        load.open_loop(turns, args.streams_per_second, {"Authorization": f"Bearer {token}"}),
    )
    warm = next(rss for at, rss in memory if at >= WARM_UP_SECONDS)
    end = memory[-1][1]
    return {
        "rss_after_warm_up_mb": warm,
        "rss_end_mb": end,
        "rss_growth_percent": round(100 * (end - warm) / warm, 2),
        "rss_samples": memory,
        "pages": pages,
        "gateway": completions,
        "chat_streams": streams,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--gateway-rps", type=float, default=20.0)
    parser.add_argument("--streams-per-second", type=float, default=2.0)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--workers", type=int, default=1, help="server processes (Redis if >1)")
    args = parser.parse_args()

    options = {"postgres": args.postgres, "workers": args.workers, "token_delay": 0.02}
    with stack(tokens=40, **options) as running:
        result = uvloop.run(soak(args, running))
    print(
        json.dumps(
            {
                "benchmark": "soak",
                **running.describe(),
                "minutes": args.minutes,
                "users": args.users,
                "gateway_rps": args.gateway_rps,
                "streams_per_second": args.streams_per_second,
                **result,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
