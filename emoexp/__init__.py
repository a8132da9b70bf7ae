"""emoexp: experiments on LLM-generated synthetic emotional text and the classifiers trained on it."""

__version__ = "0.1.0"
