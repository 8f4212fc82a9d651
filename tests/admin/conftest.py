from tests.chat_fixtures import _fresh_fake, chat_id, chat_model, fake

__all__ = ["_fresh_fake", "chat_id", "chat_model", "fake"]
