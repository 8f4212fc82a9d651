"""Model versions (base model + adapter) and their life as served, chat-able models."""
