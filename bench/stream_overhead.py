"""Streaming overhead: N concurrent streams through llmforge vs directly to the same fake
OpenAI-compatible upstream (fixed token timing). Prints JSON.

    .venv/bin/python bench/stream_overhead.py --streams 1000 --rounds 3 --via chat

`--via chat` streams chat turns (`POST /api/chat/sessions/{id}/messages`, one session per
stream, stored as the page stores them); `--via gateway` streams `/v1/chat/completions` with a
platform API key. Each round runs the direct streams, then the same number through llmforge,
started evenly over `--ramp` seconds (0: all at once). Time to first token (TTFT) is measured by
the client (bench/load.py) from sending the request to the first line carrying text; every
stream is read to its end. Reported: medians over rounds of each round's p50/p99, the added
TTFT, errors, and the server's memory.
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
    set_up_chats,
    set_up_key,
    signed_in_with_fake_chat,
    stack,
)

MESSAGES = [{"role": "user", "content": "Hello"}]


def is_openai_token(line: bytes) -> bool:
    """A chunk carrying text (the first chunk only announces the role)."""
    if not line.startswith(b"data: {"):
        return False
    choices = json.loads(line[6:]).get("choices") or [{}]
    return bool(choices[0].get("delta", {}).get("content"))


def is_chat_token(line: bytes) -> bool:
    return line.strip() == b"event: content"


def targets(args: argparse.Namespace, running: Stack) -> tuple[list[load.Request], str]:
    """The requests through llmforge, and the bearer secret they need."""
    with httpx.Client(base_url=running.base, timeout=120) as http:
        token, model = signed_in_with_fake_chat(http, running.upstream)
        if args.via == "gateway":
            name, key = set_up_key(http)
            body = {"model": name, "stream": True, "messages": MESSAGES}
            url = f"{running.base}/v1/chat/completions"
            return [load.stream(url, body, is_openai_token)] * args.streams, key
        chats = set_up_chats(http, model["id"], args.streams)
    return [
        load.stream(
            f"{running.base}/api/chat/sessions/{chat}/messages", {"content": "Hello"}, is_chat_token
        )
        for chat in chats
    ], token


def one_round(requests: list[load.Request], secret: str, ramp: float) -> Any:
    rate = len(requests) / ramp if ramp > 0 else 1e9
    return uvloop.run(load.open_loop(requests, rate, {"Authorization": f"Bearer {secret}"}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--via", choices=("chat", "gateway"), default="chat")
    parser.add_argument("--tokens", type=int, default=40, help="words per answer")
    parser.add_argument("--token-delay", type=float, default=0.02, help="seconds between chunks")
    parser.add_argument("--ramp", type=float, default=1.0, help="start streams over this long")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--workers", type=int, default=1, help="server processes (Redis if >1)")
    args = parser.parse_args()

    with stack(
        postgres=args.postgres,
        workers=args.workers,
        tokens=args.tokens,
        token_delay=args.token_delay,
    ) as running:
        through_requests, secret = targets(args, running)
        body = {"model": "fake-chat", "stream": True, "messages": MESSAGES}
        direct_requests = [
            load.stream(f"{running.upstream}/chat/completions", body, is_openai_token)
        ] * args.streams
        direct, through = [], []
        for _ in range(args.rounds):
            direct.append(one_round(direct_requests, API_KEY, args.ramp))
            through.append(one_round(through_requests, secret, args.ramp))
        memory = rss_mb(running.server.pid)

    summary: dict[str, Any] = {
        "benchmark": "stream_overhead",
        **running.describe(),
        "via": args.via,
        "streams": args.streams,
        "rounds": args.rounds,
        "tokens_per_answer": args.tokens,
        "token_delay_s": args.token_delay,
        "ramp_s": args.ramp,
    }
    for name, rounds in (("direct", direct), ("llmforge", through)):
        summary[name] = {
            "ttft_p50_ms": median_of(rounds, "p50_ms"),
            "ttft_p99_ms": median_of(rounds, "p99_ms"),
            "errors": sum(r["errors"] for r in rounds),
        }
    for q in ("p50", "p99"):
        added = summary["llmforge"][f"ttft_{q}_ms"] - summary["direct"][f"ttft_{q}_ms"]
        summary[f"added_ttft_{q}_ms"] = round(added, 2)
    summary["server_rss_mb"] = memory
    summary["rounds_detail"] = {"direct": direct, "llmforge": through}
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
