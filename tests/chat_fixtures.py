from collections.abc import Iterator

import httpx
import pytest

from tests.fakes.openai import FakeOpenAI


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key="sk-chat-test") as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh_fake(fake: FakeOpenAI) -> None:
    fake.reset()


def register_model(
    admin: httpx.Client,
    *,
    preset: str,
    base_url: str,
    api_key: str | None,
    model: str,
    **fields: object,
) -> int:
    """Add a provider through the API, sync its models, enable `model`; return the model's id."""
    provider = admin.post(
        "/api/providers",
        json={
            "name": f"{preset}-{model}",
            "preset": preset,
            "base_url": base_url,
            "api_key": api_key,
        },
    )
    assert provider.status_code == 201, provider.text
    provider_id = provider.json()["id"]
    assert admin.post(f"/api/providers/{provider_id}/refresh-models").status_code == 200
    models = admin.get(f"/api/providers/{provider_id}/models").json()
    model_id = next(m["id"] for m in models if m["model_id"] == model)
    enabled = admin.patch(f"/api/models/{model_id}", json={"enabled": True, **fields})
    assert enabled.status_code == 200, enabled.text
    return int(model_id)


@pytest.fixture
def chat_model(admin: httpx.Client, fake: FakeOpenAI) -> int:
    return register_model(
        admin,
        preset="openai-compatible",
        base_url=fake.base_url,
        api_key="sk-chat-test",
        model="fake-chat",
        input_price_per_mtok="2",
        output_price_per_mtok="10",
    )


@pytest.fixture
def chat_id(alice: httpx.Client, chat_model: int) -> int:
    created = alice.post("/api/chat/sessions", json={"model_id": chat_model})
    assert created.status_code == 201, created.text
    return int(created.json()["id"])
