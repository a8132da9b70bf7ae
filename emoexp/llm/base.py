"""Shared plumbing of the in-process backends (local model, fake): cache first, then
answer the misses batch by batch, committing each batch before the next one starts."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from tqdm.auto import tqdm

from emoexp.llm.cache import CachedResponse, ResponseCache
from emoexp.llm.config import LLMConfig
from emoexp.llm.keys import Sampling, backend_identity, identity_and_key, sampling_for
from emoexp.llm.stats import RunStats
from emoexp.llm.types import ChatRequest, ChatResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PendingRequest:
    """A cache miss to be answered: the request, its key and its effective sampling."""

    key: str
    request: ChatRequest
    sampling: Sampling
    # canonical identity JSON the key hashes, stored beside the answer for audits
    identity: str = ""


@dataclass(frozen=True)
class Answer:
    text: str | None
    error: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str | None = None
    attempts: int = 1
    latency_s: float | None = None


def cache_row(backend: str, model: str, pending: PendingRequest, answer: Answer) -> dict:
    """The response-cache row of one answered request."""
    return {
        "key": pending.key,
        "backend": backend,
        "model": model,
        "request_json": pending.identity,
        "text": answer.text,
        "finish_reason": answer.finish_reason,
        "prompt_tokens": answer.prompt_tokens,
        "completion_tokens": answer.completion_tokens,
        "attempts": answer.attempts,
        "latency_s": answer.latency_s,
    }


def result_from_cache(request: ChatRequest, key: str, cached: CachedResponse) -> ChatResult:
    return ChatResult(
        request=request,
        text=cached.text,
        cached=True,
        prompt_tokens=cached.prompt_tokens,
        completion_tokens=cached.completion_tokens,
        key=key,
        attempts=0,
        finish_reason=cached.finish_reason,
    )


def result_from_answer(request: ChatRequest, key: str, answer: Answer) -> ChatResult:
    return ChatResult(
        request=request,
        text=answer.text if answer.error is None else None,
        error=answer.error,
        prompt_tokens=answer.prompt_tokens,
        completion_tokens=answer.completion_tokens,
        key=key,
        attempts=answer.attempts,
        finish_reason=answer.finish_reason,
    )


@dataclass
class Lookup:
    """A list of requests split against the cache: hits answered, distinct misses pending.

    `positions` maps each miss's key to every index asking for it, so a key repeated in one
    call is answered once and its answer placed at each of those indexes.
    """

    results: list[ChatResult | None]
    positions: dict[str, list[int]]
    misses: list[PendingRequest]
    stats: RunStats


def look_up(cfg: LLMConfig, cache: ResponseCache | None, requests: Sequence[ChatRequest]) -> Lookup:
    stats = RunStats(requests=len(requests))
    identities = [identity_and_key(cfg, request) for request in requests]
    hits = cache.get_many([key for _, key in identities]) if cache is not None else {}
    results: list[ChatResult | None] = [None] * len(requests)
    positions: dict[str, list[int]] = {}
    misses: list[PendingRequest] = []
    for index, (request, (identity, key)) in enumerate(zip(requests, identities, strict=True)):
        if key in hits:
            results[index] = result_from_cache(request, key, hits[key])
            stats.cache_hits += 1
            continue
        if key not in positions:
            misses.append(PendingRequest(key, request, sampling_for(cfg, request, key), identity))
        positions.setdefault(key, []).append(index)
    return Lookup(results, positions, misses, stats)


def request_bar(cfg: LLMConfig, name: str, model: str, lookup: Lookup) -> tqdm:
    """Progress over all requests of a call, cache hits already counted."""
    return tqdm(
        total=len(lookup.results),
        initial=lookup.stats.cache_hits,
        desc=f"{name}:{model}",
        disable=not cfg.progress,
        unit="req",
        smoothing=0.1,
    )


class CachedBatchBackend:
    """Base of backends that answer a batch of misses at once in this process."""

    name: str
    model: str

    def __init__(self, cfg: LLMConfig, cache: ResponseCache | None) -> None:
        self.cfg = cfg
        self.cache = cache
        self.name = backend_identity(cfg)
        self.model = cfg.model
        self.last_run = RunStats()
        self.total = RunStats()

    def _answer_batch(self, batch: Sequence[PendingRequest]) -> list[Answer]:
        raise NotImplementedError

    def _batch_size(self) -> int:
        return max(1, self.cfg.batch_size)

    def _order_misses(self, misses: list[PendingRequest]) -> list[PendingRequest]:
        """Order in which misses are batched (the local model groups similar lengths)."""
        return misses

    def generate(self, requests: Sequence[ChatRequest]) -> list[ChatResult]:
        started = time.perf_counter()
        lookup = look_up(self.cfg, self.cache, requests)
        results, positions, misses, stats = (
            lookup.results, lookup.positions, lookup.misses, lookup.stats
        )  # fmt: skip

        bar = request_bar(self.cfg, self.name, self.model, lookup)
        ordered = self._order_misses(misses)
        size = self._batch_size()
        try:
            for start in range(0, len(ordered), size):
                batch = ordered[start : start + size]
                answers = self._answer_batch(batch)
                if len(answers) != len(batch):
                    raise RuntimeError(
                        f"{self.name} answered {len(answers)} of {len(batch)} requests"
                    )
                self._store(batch, answers)
                for pending, answer in zip(batch, answers, strict=True):
                    if answer.error is None:
                        stats.generated += 1
                        stats.add_usage(answer.prompt_tokens, answer.completion_tokens, 0.0, 0.0)
                    else:
                        stats.failures += 1
                    stats.retries += max(0, answer.attempts - 1)
                    for index in positions[pending.key]:
                        results[index] = result_from_answer(pending.request, pending.key, answer)
                bar.update(sum(len(positions[p.key]) for p in batch))
                bar.set_postfix(hits=stats.cache_hits, failed=stats.failures, refresh=False)
        finally:
            bar.close()
        stats.wall_s = time.perf_counter() - started
        self.last_run = stats
        self.total.merge(stats)
        log.info("%s: %s", self.name, stats.summary())
        return [result for result in results if result is not None]

    def _store(self, batch: Sequence[PendingRequest], answers: Sequence[Answer]) -> None:
        if self.cache is None:
            return
        rows = []
        for pending, answer in zip(batch, answers, strict=True):
            if answer.error is not None or answer.text is None:
                self.cache.record_failure(
                    pending.key,
                    backend=self.name,
                    model=self.model,
                    error=answer.error or "no text",
                    attempts=answer.attempts,
                )
                continue
            rows.append(cache_row(self.name, self.model, pending, answer))
        if rows:
            self.cache.put_many(rows)
