"""The fault tests borrow the chat and gateway fixtures: one fake OpenAI upstream, alice's chat
model on it, her gateway keys and the official `openai` SDK."""

from tests.chat_fixtures import _fresh_fake, chat_id, chat_model, fake
from tests.gateway.conftest import embed_model, gpt, make_key, sdk

__all__ = ["_fresh_fake", "chat_id", "chat_model", "embed_model", "fake", "gpt", "make_key", "sdk"]
