"""Builds the configured backend, with the response cache every backend answers through."""

from __future__ import annotations

from pathlib import Path

from emoexp.llm.cache import ResponseCache
from emoexp.llm.config import LLMConfig
from emoexp.llm.types import LLMBackend

BACKENDS = ("local", "openai", "openai_batch", "fake")


def build_backend(llm: LLMConfig, cache_path: Path) -> LLMBackend:
    """`local` (transformers), `openai` (any OpenAI-compatible server: OpenAI, vLLM, Ollama,
    a proxy; see conf/llm/), `openai_batch` (the OpenAI Batch API, for large runs) or `fake`
    (tests), all answering through the SQLite cache at `cache_path`."""
    cache = ResponseCache(cache_path, synchronous=llm.cache_synchronous)
    if llm.backend == "local":
        from emoexp.llm.local import LocalBackend

        return LocalBackend(llm, cache)
    if llm.backend == "openai":
        from emoexp.llm.engine import OpenAICompatibleBackend

        return OpenAICompatibleBackend(llm, cache)
    if llm.backend == "openai_batch":
        from emoexp.llm.batch import OpenAIBatchBackend

        return OpenAIBatchBackend(llm, cache)
    if llm.backend == "fake":
        from emoexp.llm.fake import FakeBackend

        return FakeBackend(llm, cache)
    cache.close()
    raise ValueError(f"llm.backend must be one of {BACKENDS}, got {llm.backend!r}")
