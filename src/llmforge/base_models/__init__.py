"""Base models for fine-tuning: local Hugging Face directories inside the configured roots."""
