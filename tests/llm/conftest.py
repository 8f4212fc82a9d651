"""Fake providers started once per session, reset before each test, and clients on them."""

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass

import pytest

from llmforge.llm import (
    ClientRegistry,
    LLMClient,
    ProviderConfig,
    RetrySettings,
    TimeoutSettings,
    create_client,
)
from llmforge.llm.base import AuthStyle, Quirks, WireProtocol
from tests.fakes import FakeAnthropic, FakeGemini, FakeOllama, FakeOpenAI, FakeServer

KEY = "sk-test-0123456789abcdef"
FAST_TIMEOUTS = TimeoutSettings(connect=2, first_byte=5, idle=5, total=20)
FAST_RETRY = RetrySettings(max_attempts=3, base_delay=0.01, max_delay=0.2)


@dataclass(frozen=True)
class Provider:
    protocol: WireProtocol
    auth_style: AuthStyle
    fake: FakeServer

    def config(self, **changes: object) -> ProviderConfig:
        values: dict[str, object] = {
            "protocol": self.protocol,
            "base_url": self.fake.base_url,
            "api_key": KEY,
            "auth_style": self.auth_style,
            "timeouts": FAST_TIMEOUTS,
            "retry": FAST_RETRY,
            "quirks": Quirks(),
        }
        return ProviderConfig.model_validate(values | changes)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def fakes() -> Iterator[dict[str, FakeServer]]:
    servers: dict[str, FakeServer] = {
        "openai": FakeOpenAI(api_key=KEY),
        "anthropic": FakeAnthropic(api_key=KEY),
        "ollama": FakeOllama(api_key=KEY),
        "gemini": FakeGemini(api_key=KEY),
        "azure": FakeOpenAI(api_key=KEY, azure=True),
    }
    for server in servers.values():
        server.start()
    yield servers
    for server in servers.values():
        server.stop()


STYLES: dict[str, tuple[WireProtocol, AuthStyle]] = {
    "openai": ("openai", "bearer"),
    "anthropic": ("anthropic", "x-api-key"),
    "ollama": ("ollama", "bearer"),
    "gemini": ("gemini", "x-goog-api-key"),
    "azure": ("openai", "api-key"),
}


@pytest.fixture
def providers(fakes: dict[str, FakeServer]) -> dict[str, Provider]:
    for fake in fakes.values():
        fake.reset()
    return {name: Provider(*STYLES[name], fakes[name]) for name in fakes}


@pytest.fixture(params=["openai", "anthropic", "ollama", "gemini"])
def provider(request: pytest.FixtureRequest, providers: dict[str, Provider]) -> Provider:
    return providers[request.param]


@pytest.fixture
async def connect() -> AsyncIterator[Callable[[ProviderConfig], LLMClient]]:
    """Clients on a registry of their own, closed with the test's event loop."""
    registry = ClientRegistry()
    yield lambda config: create_client(config, clients=registry)
    await registry.aclose_all()
