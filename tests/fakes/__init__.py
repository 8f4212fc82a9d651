"""Protocol-exact fake LLM providers on loopback ports (see server.py for the shared API)."""

from tests.fakes.anthropic import FakeAnthropic
from tests.fakes.gemini import FakeGemini
from tests.fakes.ollama import FakeOllama
from tests.fakes.openai import FakeOpenAI
from tests.fakes.server import FakeBehaviour, FakeServer, RecordedRequest, fake_vector

__all__ = [
    "FakeAnthropic",
    "FakeBehaviour",
    "FakeGemini",
    "FakeOllama",
    "FakeOpenAI",
    "FakeServer",
    "RecordedRequest",
    "fake_vector",
]
