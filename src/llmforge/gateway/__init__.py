"""The OpenAI-compatible gateway: /v1/models, /v1/chat/completions and /v1/embeddings for
every model a user may call, authenticated with platform API keys."""
