"""Per-run accounting of an LLM backend: what was asked, served, paid and lost."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class RunStats:
    requests: int = 0
    cache_hits: int = 0
    # requests answered by the model in this run (stored in the cache)
    generated: int = 0
    failures: int = 0
    # attempts beyond the first, over all requests
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    wall_s: float = 0.0

    def add_usage(
        self, prompt_tokens: int, completion_tokens: int, price_in: float, price_out: float
    ) -> None:
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens
        self.cost_usd += (prompt_tokens * price_in + completion_tokens * price_out) / 1e6

    def merge(self, other: RunStats) -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        return (
            f"{self.requests} requests: {self.cache_hits} cache hits, {self.generated} generated,"
            f" {self.failures} failed, {self.retries} retries; tokens in/out"
            f" {self.prompt_tokens}/{self.completion_tokens}, est. cost ${self.cost_usd:.4f},"
            f" {self.wall_s:.1f} s"
        )
