"""What makes two LLM requests the same: the response cache's key.

The key hashes everything that changes the answer (backend, model, messages, sampling,
response format, template version, sample index) and nothing else: no base URL, no API key,
no strategy bookkeeping. N samples of one prompt differ in `sample_index` and so in the key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from emoexp.llm.budgets import effective_max_tokens
from emoexp.llm.config import LLMConfig
from emoexp.llm.structured import response_format_for
from emoexp.llm.types import ChatRequest

KEY_VERSION = 1


@dataclass(frozen=True)
class Sampling:
    """The effective sampling of one request: config defaults with the request's overrides."""

    temperature: float
    top_p: float
    max_tokens: int
    # a per-request seed derived from the run seed and the request, so every sample of a
    # prompt gets its own seed and a rerun draws the same one
    seed: int
    response_format: dict[str, Any] | None


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def backend_identity(cfg: LLMConfig) -> str:
    return cfg.provider or cfg.backend


def request_identity(cfg: LLMConfig, request: ChatRequest) -> dict[str, Any]:
    """Everything that determines the answer, except the seed derived from it."""
    return {
        "v": KEY_VERSION,
        "backend": backend_identity(cfg),
        "model": cfg.model,
        "messages": [[role, content] for role, content in request.messages],
        "temperature": cfg.temperature if request.temperature is None else request.temperature,
        "top_p": cfg.top_p,
        "max_tokens": effective_max_tokens(cfg, request),
        "run_seed": cfg.seed,
        "json_schema": request.json_schema,
        "response_format": response_format_for(cfg, request),
        "extra_body": dict(cfg.extra_body),
        "template": request.template,
        "sample_index": request.sample_index,
        # the local backend's precision when chosen explicitly ("auto" keeps older keys)
        **({"dtype": cfg.dtype} if cfg.dtype != "auto" else {}),
    }


def identity_and_key(cfg: LLMConfig, request: ChatRequest) -> tuple[str, str]:
    """The canonical identity JSON (stored beside the answer for audits) and its sha256."""
    identity = canonical_json(request_identity(cfg, request))
    return identity, hashlib.sha256(identity.encode()).hexdigest()


def request_key(cfg: LLMConfig, request: ChatRequest) -> str:
    return identity_and_key(cfg, request)[1]


def derived_seed(key: str) -> int:
    """A 31-bit seed from the request key (which already includes the run seed)."""
    return int(key[:8], 16) & 0x7FFFFFFF


def sampling_for(cfg: LLMConfig, request: ChatRequest, key: str) -> Sampling:
    identity_temperature = cfg.temperature if request.temperature is None else request.temperature
    return Sampling(
        temperature=identity_temperature,
        top_p=cfg.top_p,
        max_tokens=effective_max_tokens(cfg, request),
        seed=derived_seed(key),
        response_format=response_format_for(cfg, request),
    )
