"""Scoring a trained classifier in-domain and zero-shot on human-annotated sets."""
