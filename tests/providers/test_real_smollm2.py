"""The real thing: LLaMA-Factory serving SmolLM2-135M-Instruct on the CPU, connected as an
"OpenAI-compatible server" provider, synced, tested and chatted with through llmforge."""

import httpx

from tests.conftest import SMOLLM2_API_KEY, SMOLLM2_MODEL_NAME
from tests.sse import by_name, collect, text_of


def test_connect_sync_test_and_chat_with_a_real_model(
    admin: httpx.Client, alice: httpx.Client, smollm2_api: str
) -> None:
    created = admin.post(
        "/api/providers",
        json={
            "name": "Local SmolLM2",
            "preset": "openai-compatible",
            "base_url": smollm2_api,
            "api_key": SMOLLM2_API_KEY,
            "timeout_seconds": 120,
        },
    )
    assert created.status_code == 201, created.text
    provider_id = created.json()["id"]

    summary = admin.post(f"/api/providers/{provider_id}/refresh-models").json()
    assert summary["added"] == [SMOLLM2_MODEL_NAME]
    report = admin.post(
        f"/api/providers/{provider_id}/test", json={"model": SMOLLM2_MODEL_NAME}
    ).json()
    assert report["outcome"] == "ok", report

    model = admin.get(f"/api/providers/{provider_id}/models").json()[0]
    admin.patch(
        f"/api/models/{model['id']}",
        json={
            "enabled": True,
            "context_length": 2048,
            "parameters": {"temperature": 0, "max_tokens": 24},
        },
    )
    chat = alice.post("/api/chat/sessions", json={"model_id": model["id"]}).json()
    events = collect(
        alice,
        f"/api/chat/sessions/{chat['id']}/messages",
        {"content": "What is the capital of France?"},
    )
    answer = by_name(events, "done")[0]["message"]
    assert answer["status"] == "complete", answer
    assert "Paris" in text_of(events, "content") and "Paris" in answer["content"]
    assert answer["output_tokens"] > 0 and answer["ttft_ms"] is not None
