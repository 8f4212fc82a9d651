"""The pages' own requests at many concurrent users: each user reads its chat sessions, opens
one, lists the models and its training jobs, one action a second, and signs in once more
during the run. Prints JSON.

    .venv/bin/python bench/crud_mix.py --users 200 --seconds 60 --postgres --workers 2

Setup (not measured): the users register and sign in, each gets a chat session with one turn
answered by the fake upstream. Then every user acts once a second (evenly spread over the
second, in a fixed order of actions) for `--seconds`; its second sign-in is placed at a random
moment of the run. Reported per action and for the reads together: p50/p99 in ms, errors.
Sign-in is reported apart: each one runs Argon2id on purpose (about 0.1-0.2 s of CPU), so it is
not part of the read mix's goal.
"""

import argparse
import asyncio
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import load
from bench.harness import (
    Stack,
    percentile,
    rss_mb,
    signed_in_with_fake_chat,
    stack,
)

PASSWORD = "bench user password"  # noqa: S105 - throwaway accounts
READS = ("list_sessions", "open_session", "list_models", "list_jobs")


async def _register(client: aiohttp.ClientSession, base: str, index: int) -> dict[str, Any]:
    email = f"user{index}@example.com"
    async with client.post(
        f"{base}/api/auth/register", json={"email": email, "password": PASSWORD}
    ) as response:
        if response.status != 201:
            raise RuntimeError(await response.text())
    return await _sign_in(client, base, email)


async def _sign_in(client: aiohttp.ClientSession, base: str, email: str) -> dict[str, Any]:
    async with client.post(
        f"{base}/api/auth/login", json={"email": email, "password": PASSWORD}
    ) as response:
        body = await response.json()
        if response.status != 200:
            raise RuntimeError(str(body))
    return {"email": email, "token": body["access_token"]}


async def _first_chat(
    client: aiohttp.ClientSession, base: str, user: dict[str, Any], model_id: int
) -> None:
    headers = {"Authorization": f"Bearer {user['token']}"}
    async with client.post(
        f"{base}/api/chat/sessions", json={"model_id": model_id}, headers=headers
    ) as response:
        user["session_id"] = (await response.json())["id"]
    async with client.post(
        f"{base}/api/chat/sessions/{user['session_id']}/messages",
        json={"content": "Hello"},
        headers=headers,
    ) as response:
        await response.read()


async def set_up_users(running: Stack, count: int) -> tuple[list[dict[str, Any]], int]:
    """The users, and the fake chat model's id."""
    with httpx.Client(base_url=running.base, timeout=60) as http:
        _, model = signed_in_with_fake_chat(http, running.upstream)
    async with load.session() as client:
        limit = asyncio.Semaphore(8)

        async def one(index: int) -> dict[str, Any]:
            async with limit:
                user = await _register(client, running.base, index)
                await _first_chat(client, running.base, user, model["id"])
                return user

        users = await asyncio.gather(*(one(i) for i in range(count)))
        return list(users), int(model["id"])


def _path(action: str, user: dict[str, Any]) -> str:
    return {
        "list_sessions": "/api/chat/sessions",
        "open_session": f"/api/chat/sessions/{user['session_id']}",
        "list_models": "/api/models",
        "list_jobs": "/api/training/jobs",
    }[action]


async def _act(
    client: aiohttp.ClientSession, base: str, user: dict[str, Any], action: str
) -> float:
    started = time.perf_counter()
    if action == "sign_in":
        await _sign_in(client, base, user["email"])
        return time.perf_counter() - started
    headers = {"Authorization": f"Bearer {user['token']}"}
    async with client.get(base + _path(action, user), headers=headers) as response:
        await response.read()
        if response.status != 200:
            raise RuntimeError(f"{action}: {response.status}")
    return time.perf_counter() - started


def schedule(
    users: list[dict[str, Any]], seconds: float, sign_ins: int
) -> list[tuple[float, int, str]]:
    """(moment, user index, action): each user once a second at its own offset, plus
    `sign_ins` sign-ins at random moments."""
    plan = []
    for index in range(len(users)):
        offset = index / len(users)
        for tick in range(int(seconds)):
            plan.append((tick + offset, index, READS[(tick + index) % len(READS)]))
        for _ in range(sign_ins):
            plan.append((random.uniform(0, seconds), index, "sign_in"))  # noqa: S311 - a bench
    return sorted(plan)


async def run_mix(
    base: str, users: list[dict[str, Any]], seconds: float, sign_ins: int = 1
) -> dict[str, Any]:
    results: dict[str, list[float]] = {name: [] for name in (*READS, "sign_in")}
    errors: dict[str, int] = dict.fromkeys(results, 0)
    async with load.session() as client:
        start = time.perf_counter() + 0.2

        async def timed(moment: float, index: int, action: str) -> None:
            await asyncio.sleep(max(0.0, start + moment - time.perf_counter()))
            try:
                results[action].append(await _act(client, base, users[index], action) * 1000)
            except Exception:
                errors[action] += 1

        await asyncio.gather(*(timed(*step) for step in schedule(users, seconds, sign_ins)))
    reads = [value for name in READS for value in results[name]]
    summary = {
        name: {
            "count": len(values),
            "errors": errors[name],
            "p50_ms": percentile(values, 50),
            "p99_ms": percentile(values, 99),
        }
        for name, values in results.items()
    }
    summary["reads"] = {
        "count": len(reads),
        "errors": sum(errors[n] for n in READS),
        "p50_ms": percentile(reads, 50),
        "p99_ms": percentile(reads, 99),
    }
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--sign-ins", type=int, default=1, help="sign-ins per user in the run")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--workers", type=int, default=1, help="server processes (Redis if >1)")
    args = parser.parse_args()

    with stack(postgres=args.postgres, workers=args.workers, token_delay=0.0) as running:
        users, _ = uvloop.run(set_up_users(running, args.users))
        mix = uvloop.run(run_mix(running.base, users, args.seconds, args.sign_ins))
        memory = rss_mb(running.server.pid)
    print(
        json.dumps(
            {
                "benchmark": "crud_mix",
                **running.describe(),
                "users": args.users,
                "seconds": args.seconds,
                "sign_ins_per_user": args.sign_ins,
                "actions": mix,
                "server_rss_mb": memory,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
