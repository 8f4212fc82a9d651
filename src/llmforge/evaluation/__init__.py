"""Automatic base-vs-fine-tuned evaluation of succeeded training jobs on their held-out split."""
