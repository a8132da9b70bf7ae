"""The contract between generation strategies and LLM backends.

A strategy builds `ChatRequest`s and reads `ChatResult`s; it never knows which backend
answered, whether the answer came from the cache, or how many retries it took.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from emoexp.tracking.redact import scrub_text


@dataclass(frozen=True)
class ChatRequest:
    # OpenAI-style messages: ({"role": "system" | "user" | "assistant", "content": str}, ...)
    messages: tuple[tuple[str, str], ...]
    # N samples of one prompt are N requests with sample_index 0..N-1 (N cache keys)
    sample_index: int = 0
    # prompt template name and version, part of the cache key
    template: str = ""
    # a JSON schema the reply must follow, for backends that can constrain decoding
    json_schema: dict[str, Any] | None = field(default=None, hash=False)
    # carried through to the result, not part of the cache key (strategy bookkeeping)
    metadata: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    # per-request overrides of the configured sampling (None: the config's value); part of
    # the cache key through the effective value, so a re-ask at another temperature is new
    temperature: float | None = None
    max_tokens: int | None = None
    # what the reply is (post, persona, turn, dialogue, judge; empty: llm.max_tokens) and how
    # many units of it (a dialogue's turns): the reply budget follows from them (see
    # emoexp/llm/budgets.py); a re-ask after a cut-off reply multiplies it by budget_factor
    kind: str = ""
    budget_units: int = 1
    budget_factor: int = 1
    # a post in another language or script takes more tokens than in English: the text part
    # of the budget is multiplied by this (emoexp/generation/languages.py)
    text_factor: float = 1.0


@dataclass
class ChatResult:
    request: ChatRequest
    text: str | None
    error: str | None = None
    cached: bool = False
    prompt_tokens: int = 0
    completion_tokens: int = 0
    # the response cache's key of the request (sha256 hex)
    key: str = ""
    # HTTP attempts made for this result in this run (0 for a cache hit)
    attempts: int = 0
    # "stop", "length", ... as the backend reported it
    finish_reason: str | None = None

    def __post_init__(self) -> None:
        # a server may echo the key it was sent; nothing downstream (rows, logs) sees it
        if self.error:
            self.error = scrub_text(self.error)

    @property
    def ok(self) -> bool:
        return self.error is None and self.text is not None


class LLMBackend(Protocol):
    """Answers every request it is given, one result per request in the same order;
    a failed request is a result with `error` set, never an exception that loses the batch."""

    name: str
    model: str

    def generate(self, requests: Sequence[ChatRequest]) -> list[ChatResult]: ...
