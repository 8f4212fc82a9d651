"""Prompt templates: a library of reusable prompts with variables, versions and sharing."""
