"""`create_client(config)`: the adapter for the config's wire protocol, on a shared pool."""

from llmforge.llm.adapter import HttpAdapter
from llmforge.llm.anthropic import AnthropicClient
from llmforge.llm.base import LLMClient, ProviderConfig, WireProtocol
from llmforge.llm.clients import ClientRegistry, registry
from llmforge.llm.gemini import GeminiClient
from llmforge.llm.ollama import OllamaClient
from llmforge.llm.openai_compat import OpenAICompatClient

ADAPTERS: dict[WireProtocol, type[HttpAdapter]] = {
    "openai": OpenAICompatClient,
    "anthropic": AnthropicClient,
    "ollama": OllamaClient,
    "gemini": GeminiClient,
}


def create_client(config: ProviderConfig, *, clients: ClientRegistry | None = None) -> LLMClient:
    """Cheap: adapters are light; the connection pool is shared through the registry."""
    pool = (clients or registry).get(config)
    return ADAPTERS[config.protocol](config, pool)
