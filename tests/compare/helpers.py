import time
from collections.abc import Callable
from typing import Any

import httpx

from tests.sse import Event, by_name, collect

API_KEY = "sk-compare-test"


def lanes_body(model_ids: list[int], prompt: str = "Compare yourselves", **extra: Any) -> Any:
    return {"prompt": prompt, "lanes": [{"model_id": m} for m in model_ids], **extra}


def compare(client: httpx.Client, body: Any) -> list[Event]:
    return collect(client, "/api/compare", body)


def run_of(events: list[Event]) -> Any:
    return by_name(events, "run")[0]["run"]


def done_run(events: list[Event]) -> Any:
    return by_name(events, "done")[0]["run"]


def lane_text(events: list[Event], lane_id: int, name: str = "content") -> str:
    return "".join(data["text"] for data in by_name(events, name) if data["lane_id"] == lane_id)


def wait_for_run(
    client: httpx.Client, run_id: int, ready: Callable[[Any], bool], timeout: float = 10
) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.get(f"/api/compare/{run_id}").json()
        if ready(run):
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not reach the expected state")


def settled(run: Any) -> bool:
    return all(lane["status"] != "streaming" for lane in run["lanes"])


def chat_requests(fake: Any) -> list[Any]:
    return [r for r in fake.requests if r.path.endswith("/chat/completions")]
