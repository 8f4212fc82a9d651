"""Platform API keys: what other tools present to the OpenAI-compatible gateway (/v1)."""
