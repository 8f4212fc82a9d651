"""A real `llamafactory-cli api` serving SmolLM2-135M-Instruct over loopback (CPU).

Needs `make llamafactory`; fails with that hint when the install is missing.
"""

import json
import time

import httpx
import pytest

from tests.conftest import SMOLLM2_API_KEY, SMOLLM2_MODEL_NAME

MODEL_NAME = SMOLLM2_MODEL_NAME
API_KEY = SMOLLM2_API_KEY


@pytest.fixture(scope="module")
def smollm2_server(smollm2_api: str) -> str:
    return smollm2_api


def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {API_KEY}"}


def has_content(data: str) -> bool:
    return bool(json.loads(data)["choices"][0]["delta"].get("content"))


def test_models_lists_served_model(smollm2_server: str) -> None:
    resp = httpx.get(f"{smollm2_server}/models", headers=auth(), timeout=10)
    assert resp.status_code == 200
    assert MODEL_NAME in [m["id"] for m in resp.json()["data"]]


def test_api_key_is_enforced(smollm2_server: str) -> None:
    resp = httpx.get(f"{smollm2_server}/models", timeout=10)
    assert resp.status_code == 401
    bad = httpx.get(f"{smollm2_server}/models", headers={"Authorization": "Bearer no"}, timeout=10)
    assert bad.status_code == 401


def test_streamed_chat_completion_answers_paris(smollm2_server: str) -> None:
    body = {
        "model": MODEL_NAME,
        "messages": [{"role": "user", "content": "What is the capital of France?"}],
        "stream": True,
        "temperature": 0,
        "max_tokens": 24,
    }
    data_lines: list[str] = []
    started = time.monotonic()
    first_token_s: float | None = None
    with httpx.stream(
        "POST", f"{smollm2_server}/chat/completions", json=body, headers=auth(), timeout=60
    ) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        for line in resp.iter_lines():
            if not line.startswith("data:"):
                continue
            data = line.removeprefix("data:").strip()
            data_lines.append(data)
            if first_token_s is None and data != "[DONE]" and has_content(data):
                first_token_s = time.monotonic() - started
    total_s = time.monotonic() - started

    assert data_lines, "no data: chunks"
    assert data_lines[-1] == "[DONE]"
    chunks = [json.loads(d) for d in data_lines[:-1]]
    assert all(c["model"] == MODEL_NAME and c["choices"] for c in chunks)
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    assert "Paris" in text, text
    assert chunks[-1]["choices"][0]["finish_reason"] in {"stop", "length"}
    print(f"\nfirst content after {first_token_s:.2f}s, {len(chunks)} chunks in {total_s:.2f}s")
