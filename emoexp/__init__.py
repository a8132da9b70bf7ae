"""emoexp: experiments on LLM-generated synthetic emotional text and its classifiers."""

__version__ = "0.1.0"
