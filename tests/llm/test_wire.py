"""What each adapter puts on the wire, and protocol-specific behaviour."""

from collections.abc import Callable

import pytest

from llmforge.llm import (
    PRESETS,
    ChatRequest,
    ContentDelta,
    LLMClient,
    ProviderConfig,
    Quirks,
    StreamError,
    UpstreamError,
    get_preset,
)
from tests.fakes.anthropic import FakeAnthropic, event
from tests.llm.conftest import KEY, Provider
from tests.llm.test_adapters import chat, events_of, text_of

pytestmark = pytest.mark.anyio
Connect = Callable[[ProviderConfig], LLMClient]
OPTIONS = {"temperature": 0.2, "top_p": 0.9, "max_tokens": 50, "stop": ("END",)}


async def test_openai_request(providers: dict[str, Provider], connect: Connect) -> None:
    openai = providers["openai"]
    request = chat(presence_penalty=0.5, reasoning_effort="low", **OPTIONS)
    await connect(openai.config()).complete(request)
    sent = openai.fake.requests[-1]
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.body["stream_options"] == {"include_usage": True}
    assert sent.body["messages"][0] == {"role": "system", "content": "Be brief."}
    expected = {
        "temperature": 0.2,
        "top_p": 0.9,
        "max_tokens": 50,
        "stop": ["END"],
        "presence_penalty": 0.5,
        "reasoning_effort": "low",
    }
    assert expected.items() <= sent.body.items()


async def test_openai_quirks(providers: dict[str, Provider], connect: Connect) -> None:
    openai = providers["openai"]
    quirks = Quirks(stream_usage=False, max_tokens_field="max_completion_tokens")
    config = openai.config(quirks=quirks, extra_headers={"X-Org": "acme"})
    completion = await connect(config).complete(chat(max_tokens=9))
    sent = openai.fake.requests[-1]
    assert "stream_options" not in sent.body and sent.body["max_completion_tokens"] == 9
    assert sent.headers["x-org"] == "acme"
    assert completion.usage.estimated


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
async def test_openai_reasoning_fields(
    providers: dict[str, Provider], connect: Connect, field: str
) -> None:
    behaviour = providers["openai"].fake.behaviour
    behaviour.reasoning, behaviour.reasoning_field = "step by step", field
    for stream in (True, False):
        completion = await connect(providers["openai"].config()).complete(chat(), stream=stream)
        assert completion.reasoning == "step by step"


async def test_think_tags_split_at_every_boundary(
    providers: dict[str, Provider], connect: Connect
) -> None:
    text = "<think>ab</think>cd"
    client = connect(providers["openai"].config())
    for cut in range(1, len(text)):
        providers["openai"].fake.behaviour.chunks = [text[:cut], text[cut:]]
        completion = await client.complete(chat())
        assert (completion.reasoning, completion.content) == ("ab", "cd")


async def test_think_tags_can_be_turned_off(
    providers: dict[str, Provider], connect: Connect
) -> None:
    providers["openai"].fake.behaviour.reply = "<think>x</think>y"
    config = providers["openai"].config(quirks=Quirks(think_tags=False))
    assert (await connect(config).complete(chat())).content == "<think>x</think>y"


async def test_azure(providers: dict[str, Provider], connect: Connect) -> None:
    azure = providers["azure"]
    quirks = Quirks(api_version="2024-10-21", azure_deployments=True)
    client = connect(azure.config(quirks=quirks))
    completion = await client.complete(chat())
    assert completion.content == azure.fake.behaviour.reply
    sent = azure.fake.requests[-1]
    assert sent.path == "/openai/deployments/fake-chat/chat/completions"
    assert sent.query == {"api-version": "2024-10-21"}
    assert sent.headers["api-key"] == KEY and "authorization" not in sent.headers
    assert len((await client.embed("fake-embed", ["x"])).vectors) == 1
    assert (await client.test_connection()).outcome == "ok"


async def test_anthropic_request(providers: dict[str, Provider], connect: Connect) -> None:
    anthropic = providers["anthropic"]
    await connect(anthropic.config()).complete(chat(reasoning_effort="low", **OPTIONS))
    sent = anthropic.fake.requests[-1]
    assert sent.headers["x-api-key"] == KEY and sent.headers["anthropic-version"] == "2023-06-01"
    assert sent.body["system"] == "Be brief."
    assert sent.body["messages"] == [{"role": "user", "content": "Say hello."}]
    assert sent.body["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert sent.body["max_tokens"] > 2048 and "temperature" not in sent.body
    assert sent.body["stop_sequences"] == ["END"]


async def test_anthropic_model_pages(providers: dict[str, Provider], connect: Connect) -> None:
    names = [f"claude-{i}" for i in range(1205)]
    providers["anthropic"].fake.behaviour.models = names
    models = await connect(providers["anthropic"].config()).list_models()
    assert [m.id for m in models] == names
    assert len(providers["anthropic"].fake.requests) == 2


async def test_anthropic_error_event_mid_stream(
    providers: dict[str, Provider], connect: Connect, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = providers["anthropic"].fake
    assert isinstance(fake, FakeAnthropic)
    normal = fake._events
    overloaded = event("error", {"error": {"type": "overloaded_error", "message": "Overloaded"}})
    monkeypatch.setattr(fake, "_events", lambda model: [*normal(model)[:4], overloaded])
    events = await events_of(connect(providers["anthropic"].config()), chat())
    assert StreamError("server_error", "Overloaded") in events
    assert text_of(events, ContentDelta) == fake.behaviour.content_chunks()[0]


async def test_gemini_request(providers: dict[str, Provider], connect: Connect) -> None:
    gemini = providers["gemini"]
    await connect(gemini.config()).complete(chat(reasoning_effort="high", **OPTIONS))
    sent = gemini.fake.requests[-1]
    assert sent.path == "/v1beta/models/fake-chat:streamGenerateContent"
    assert sent.query == {"alt": "sse"} and sent.headers["x-goog-api-key"] == KEY
    assert sent.body["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert sent.body["contents"] == [{"role": "user", "parts": [{"text": "Say hello."}]}]
    assert sent.body["generationConfig"] == {
        "temperature": 0.2,
        "topP": 0.9,
        "maxOutputTokens": 50,
        "stopSequences": ["END"],
        "thinkingConfig": {"thinkingBudget": 24576, "includeThoughts": True},
    }


async def test_ollama_request(providers: dict[str, Provider], connect: Connect) -> None:
    ollama = providers["ollama"]
    await connect(ollama.config()).complete(chat(reasoning_effort="medium", **OPTIONS))
    sent = ollama.fake.requests[-1]
    assert sent.body["options"] == {
        "temperature": 0.2,
        "top_p": 0.9,
        "num_predict": 50,
        "stop": ["END"],
    }
    assert sent.body["think"] is True and sent.body["stream"] is True


def test_upstream_error_maps_to_http() -> None:
    assert UpstreamError("timeout", "slow").status_code == 504
    assert UpstreamError("rate_limited", "busy", 429).status_code == 429
    error = UpstreamError("authentication_failed", "bad key", 401)
    assert (error.status_code, error.code) == (502, "upstream_authentication_failed")
    assert error.details == {"kind": "authentication_failed", "upstream_status": 401}


def test_presets() -> None:
    ids = [preset.id for preset in PRESETS]
    assert len(ids) >= 20 and len(set(ids)) == len(ids)
    for preset in PRESETS:
        assert preset.base_url.startswith(("https://", "http://localhost"))
        assert preset.docs_url.startswith("https://")
        assert preset.config(api_key="k").protocol == preset.protocol
    azure = get_preset("azure-openai")
    assert azure and azure.config().auth_style == "api-key"
    assert get_preset("nope") is None


async def test_known_models_without_a_list_endpoint(
    providers: dict[str, Provider], connect: Connect
) -> None:
    quirks = Quirks(list_models=False, known_models=("glm-4.6", "embedding-3"))
    models = await connect(providers["openai"].config(quirks=quirks)).list_models()
    assert [(m.id, m.capabilities) for m in models] == [
        ("glm-4.6", ["chat"]),
        ("embedding-3", ["embedding"]),
    ]
    assert providers["openai"].fake.requests == []


def test_chat_request_accepts_plain_dicts() -> None:
    request = ChatRequest.model_validate(
        {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    )
    assert request.messages[0].content == "hi"
