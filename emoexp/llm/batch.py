"""The OpenAI Batch API as a backend: half the price of online requests, answers within 24 h.

`generate` serves cache hits, writes the misses as JSONL input files (one line per request,
`custom_id` = the cache key, the body the online engine would send), uploads them, creates
the batches, records each in the ledger beside the response cache before waiting, polls
until every batch it waits on has finished, and files every answer in the response cache
exactly as the online engine does, so later online runs are served from it.

A run that dies leaves its batches in the ledger; the next run collects them first and never
submits a request that waits in a stored batch. Requests whose batch failed, expired or was
cancelled, and those answered with an error line, may go again (counted as `resubmitted`).
Past `llm.batch_max_wait_s` the unfinished requests come back with the error
"batch pending: <batch ids>" and stay in the ledger for the next run.
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

import openai

from emoexp.llm.base import Answer, PendingRequest, result_from_cache
from emoexp.llm.batch_ledger import BatchLedger, StoredBatch, owner_is_gone, this_owner
from emoexp.llm.cache import ResponseCache
from emoexp.llm.config import LLMConfig, base_urls
from emoexp.llm.engine import (
    OPENAI_BASE_URL,
    FatalRequestError,
    OpenAICompatibleBackend,
    RetryableError,
    parse_completion,
)
from emoexp.llm.keys import backend_identity, identity_and_key, sampling_for
from emoexp.llm.stats import RunStats
from emoexp.llm.types import ChatRequest, ChatResult

log = logging.getLogger(__name__)

ENDPOINT: Final = "/v1/chat/completions"
COMPLETION_WINDOW: Final = "24h"
# how far back (seconds before a reservation) to look for a batch whose creation reply was lost
_ADOPT_LOOKBACK_S = 3600.0


def online_equivalent(cfg: LLMConfig) -> LLMConfig:
    """The config under which the online engine asks the same requests: a batch answer is
    the same answer, so both file it under the same cache key."""
    if cfg.backend == "openai_batch":
        return replace(cfg, backend="openai")
    return cfg


@dataclass
class BatchRunStats(RunStats):
    batches_submitted: int = 0
    # stored batches of earlier runs whose answers this run collected
    batches_resumed: int = 0
    # requests sent again because their earlier batch failed, expired or answered an error
    resubmitted: int = 0
    # requests still waiting in a batch when this run stopped waiting
    pending: int = 0

    def summary(self) -> str:
        return (
            f"{super().summary()}; {self.batches_submitted} batches submitted,"
            f" {self.batches_resumed} resumed, {self.resubmitted} resubmitted,"
            f" {self.pending} pending"
        )


@dataclass
class _Collected:
    """Outcomes of the batches finished during one `generate` call."""

    answered: set[str]
    errors: dict[str, str]
    # usage of every answer collected (what this run's collections cost)
    prompt_tokens: int = 0
    completion_tokens: int = 0


class OpenAIBatchBackend:
    """The Batch API of OpenAI (or any server that implements /v1/files and /v1/batches)."""

    def __init__(self, cfg: LLMConfig, cache: ResponseCache) -> None:
        self.cfg = cfg
        self.key_cfg = online_equivalent(cfg)
        self.cache = cache
        self.name = backend_identity(self.key_cfg)
        self.model = cfg.model
        # the online engine builds each line's body, so both send exactly the same request
        self._online = OpenAICompatibleBackend(self.key_cfg, None)
        urls = base_urls(cfg) or [OPENAI_BASE_URL]
        if len(urls) != 1:
            raise ValueError(f"the Batch API takes one llm.base_url, got {len(urls)}: {urls}")
        if cfg.batch_max_requests < 1:
            raise ValueError(f"llm.batch_max_requests must be >= 1, got {cfg.batch_max_requests}")
        self.base_url = urls[0]
        api_key = os.environ.get(cfg.api_key_env, "") if cfg.api_key_env else ""
        # the key lives only inside the client: never in the cache, the ledger or a log
        self._client = openai.OpenAI(
            api_key=api_key or "no-key",
            base_url=self.base_url,
            timeout=cfg.timeout_s,
            max_retries=cfg.max_retries,
        )
        self.ledger = BatchLedger(cache.path, synchronous=cfg.cache_synchronous)
        self.last_run = BatchRunStats()
        self.total = BatchRunStats()

    def __repr__(self) -> str:
        return (
            f"OpenAIBatchBackend(name={self.name!r}, model={self.model!r}, url={self.base_url!r})"
        )

    def close(self) -> None:
        self._client.close()
        self.ledger.close()

    # ------------------------------------------------------------------ the run

    def generate(self, requests: Sequence[ChatRequest]) -> list[ChatResult]:
        started = time.monotonic()
        deadline = started + self.cfg.batch_max_wait_s
        stats = BatchRunStats(requests=len(requests))
        identities = [identity_and_key(self.key_cfg, request) for request in requests]
        keys = [key for _, key in identities]
        initial_hits = self.cache.get_many(keys)
        collected = _Collected(answered=set(), errors={})

        # batches of earlier runs first: their answers may be some of this run's misses
        self._recover_unsubmitted(stats)
        stats.batches_resumed += sum(batch.batch_id is not None for batch in self._open())
        self._poll_round(collected)

        now_cached = self.cache.get_many(keys)
        misses: dict[str, PendingRequest] = {}
        for request, (identity, key) in zip(requests, identities, strict=True):
            if key not in now_cached and key not in misses:
                sampling = sampling_for(self.key_cfg, request, key)
                misses[key] = PendingRequest(key, request, sampling, identity)
        waiting = self.ledger.pending_ids(misses)
        to_submit = [pending for key, pending in misses.items() if key not in waiting]
        stats.resubmitted += len(self.ledger.submitted_before(p.key for p in to_submit))
        for pending in to_submit:
            collected.errors.pop(pending.key, None)
        self._submit(to_submit, collected, stats)

        wanted = set(misses)
        while self._waiting_on(wanted):
            if time.monotonic() + self.cfg.batch_poll_s > deadline:
                break
            time.sleep(self.cfg.batch_poll_s)
            self._poll_round(collected)

        results = self._results(requests, keys, initial_hits, collected, stats)
        stats.add_usage(
            collected.prompt_tokens,
            collected.completion_tokens,
            self.cfg.price_input_per_1m,
            self.cfg.price_output_per_1m,
        )
        stats.wall_s = time.monotonic() - started
        self.last_run = stats
        self.total.merge(stats)
        log.info("%s batch: %s", self.name, stats.summary())
        return results

    def _open(self) -> list[StoredBatch]:
        return self.ledger.open_batches()

    def _waiting_on(self, wanted: set[str]) -> bool:
        """Whether a batch that can still finish holds one of `wanted` unanswered. A batch
        this process could not create is not waited on: the next run creates it."""
        for batch in self._open():
            if batch.batch_id is None and batch.owner == this_owner():
                continue
            if not wanted.isdisjoint(self.ledger.entries(batch.row)):
                return True
        return False

    def _results(
        self,
        requests: Sequence[ChatRequest],
        keys: Sequence[str],
        initial_hits: dict[str, Any],
        collected: _Collected,
        stats: BatchRunStats,
    ) -> list[ChatResult]:
        stored = self.cache.get_many(keys)
        pending_in: dict[str, list[str]] = {}
        for batch in self._open():
            for custom_id in self.ledger.entries(batch.row):
                pending_in.setdefault(custom_id, []).append(batch.label)
        results = []
        for request, key in zip(requests, keys, strict=True):
            if key in initial_hits:
                stats.cache_hits += 1
                results.append(result_from_cache(request, key, initial_hits[key]))
            elif key in stored:
                answer = stored[key]
                stats.generated += 1
                results.append(
                    ChatResult(
                        request=request,
                        text=answer.text,
                        prompt_tokens=answer.prompt_tokens,
                        completion_tokens=answer.completion_tokens,
                        key=key,
                        attempts=1,
                        finish_reason=answer.finish_reason,
                    )
                )
            elif key in pending_in:
                stats.pending += 1
                error = "batch pending: " + ", ".join(sorted(set(pending_in[key])))
                results.append(ChatResult(request=request, text=None, error=error, key=key))
            else:
                stats.failures += 1
                error = collected.errors.get(key, "no answer and no error came back")
                results.append(
                    ChatResult(request=request, text=None, error=error, key=key, attempts=1)
                )
        return results

    # ------------------------------------------------------------------ submission

    def _submit(
        self, misses: Sequence[PendingRequest], collected: _Collected, stats: BatchRunStats
    ) -> None:
        for chunk in self._chunks(misses):
            entries = [(pending.key, pending.identity) for pending, _ in chunk]
            row, taken = self.ledger.reserve(self.name, self.model, entries)
            if not taken:
                continue
            kept = {custom_id for custom_id, _ in taken}
            lines = [line for pending, line in chunk if pending.key in kept]
            data = "".join(lines).encode("utf-8")
            try:
                uploaded = self._client.files.create(
                    file=(f"emoexp-batch-{row}.jsonl", data, "application/jsonl"),
                    purpose="batch",
                )
            except openai.OpenAIError as error:
                # nothing was created: free the requests, each one fails for this run
                message = f"batch input upload failed: {_describe(error)}"
                self._close_unsubmitted(row, "abandoned", message, collected)
                continue
            self.ledger.file_uploaded(row, uploaded.id)
            self._create(self.ledger.get(row), collected, stats)

    def _chunks(
        self, misses: Sequence[PendingRequest]
    ) -> Iterator[list[tuple[PendingRequest, str]]]:
        """Input files of at most `batch_max_requests` lines and `batch_max_file_mb` MB."""
        limit_bytes = int(self.cfg.batch_max_file_mb * 1024 * 1024)
        chunk: list[tuple[PendingRequest, str]] = []
        size = 0
        for pending in misses:
            line = self._line(pending)
            length = len(line.encode("utf-8"))
            if chunk and (len(chunk) >= self.cfg.batch_max_requests or size + length > limit_bytes):
                yield chunk
                chunk, size = [], 0
            chunk.append((pending, line))
            size += length
        if chunk:
            yield chunk

    def _line(self, pending: PendingRequest) -> str:
        body = json.loads(self._online._body(pending))
        line = {"custom_id": pending.key, "method": "POST", "url": ENDPOINT, "body": body}
        return json.dumps(line, ensure_ascii=False) + "\n"

    def _create(self, batch: StoredBatch, collected: _Collected, stats: BatchRunStats) -> None:
        """Create the batch for an uploaded file, never twice: the client does not retry the
        creation itself (a lost reply would create a second batch); after any fault the
        batch is first looked up by its input file."""
        assert batch.input_file_id is not None
        for attempt in range(self.cfg.max_retries + 1):
            if attempt:
                found = self._find_created(batch)
                if found is not None:
                    self._adopt(batch, found)
                    stats.batches_submitted += 1
                    return
                ceiling = min(self.cfg.backoff_max_s, self.cfg.backoff_base_s * 2**attempt)
                time.sleep(random.uniform(0.0, ceiling))
            try:
                created = self._client.with_options(max_retries=0).batches.create(
                    input_file_id=batch.input_file_id,
                    endpoint=ENDPOINT,
                    completion_window=COMPLETION_WINDOW,
                    metadata={"source": "emoexp", "requests": str(batch.request_count)},
                )
            except (
                openai.APIConnectionError,
                openai.RateLimitError,
                openai.InternalServerError,
            ) as error:
                log.warning("creating %s: %s; looking it up", batch.label, _describe(error))
                continue
            except openai.APIStatusError as error:
                message = f"batch creation refused: {_describe(error)}"
                self._close_unsubmitted(batch.row, "failed", message, collected)
                return
            self._adopt(batch, created)
            stats.batches_submitted += 1
            return
        found = self._find_created(batch)
        if found is not None:
            self._adopt(batch, found)
            stats.batches_submitted += 1
            return
        # the file stays recorded: the next run looks the batch up again before creating it
        log.error("could not create batch for %s; the next run tries again", batch.input_file_id)

    def _adopt(self, batch: StoredBatch, created: Any) -> None:
        self.ledger.created(batch.row, created.id, created.status)
        self._record_status(batch.row, created)
        log.info("batch %s holds %d requests", created.id, batch.request_count)

    def _find_created(self, batch: StoredBatch) -> Any:
        """The API's batch for this input file, if one was created (newest first)."""
        try:
            for candidate in self._client.batches.list(limit=100):
                if candidate.input_file_id == batch.input_file_id:
                    return candidate
                if candidate.created_at < batch.submitted_at - _ADOPT_LOOKBACK_S:
                    return None
        except openai.OpenAIError as error:
            log.warning("could not list batches: %s", _describe(error))
        return None

    def _recover_unsubmitted(self, stats: BatchRunStats) -> None:
        """Batches an ended run left before their creation was recorded: never uploaded ones
        free their requests; uploaded ones are looked up, and created only if missing."""
        for batch in self._open():
            if batch.status not in ("preparing", "submitting") or not owner_is_gone(batch.owner):
                continue
            if batch.status == "preparing" or batch.input_file_id is None:
                message = "the run stopped before this batch was submitted"
                self._close_unsubmitted(
                    batch.row, "abandoned", message, _Collected(answered=set(), errors={})
                )
                continue
            found = self._find_created(batch)
            if found is not None:
                self._adopt(batch, found)
            else:
                self._create(batch, _Collected(answered=set(), errors={}), stats)

    def _close_unsubmitted(
        self, row: int, status: str, message: str, collected: _Collected
    ) -> None:
        custom_ids = list(self.ledger.entries(row))
        self.ledger.refresh(
            row, status=status, output_file_id=None, error_file_id=None, errors=message
        )
        for custom_id in custom_ids:
            self.cache.record_failure(
                custom_id, backend=self.name, model=self.model, error=message, attempts=0
            )
            collected.errors[custom_id] = message
        self.ledger.settle(row, dict.fromkeys(custom_ids, message))
        log.warning("batch row %d: %s", row, message)

    # ------------------------------------------------------------------ waiting and collecting

    def _poll_round(self, collected: _Collected) -> None:
        """Check every open batch once; collect those that have finished."""
        for batch in self._open():
            if batch.batch_id is None:
                continue
            if not batch.terminal:
                try:
                    remote = self._client.batches.retrieve(batch.batch_id)
                except openai.OpenAIError as error:
                    log.warning("status of %s unknown: %s", batch.batch_id, _describe(error))
                    continue
                self._record_status(batch.row, remote)
                batch = self.ledger.get(batch.row)
                counts = remote.request_counts
                if counts is not None:
                    log.info(
                        "batch %s %s: %d of %d done, %d failed",
                        batch.label,
                        remote.status,
                        counts.completed,
                        counts.total,
                        counts.failed,
                    )
            if batch.terminal:
                self._collect(batch, collected)

    def _record_status(self, row: int, remote: Any) -> None:
        errors = remote.errors.model_dump() if remote.errors is not None else None
        self.ledger.refresh(
            row,
            status=remote.status,
            output_file_id=remote.output_file_id,
            error_file_id=remote.error_file_id,
            errors=errors,
        )

    def _collect(self, batch: StoredBatch, collected: _Collected) -> bool:
        """Store a finished batch's answers and errors; False when a file could not be read
        (the batch stays open and is collected on the next round or run)."""
        entries = self.ledger.entries(batch.row)
        outcomes: dict[str, str | None] = {}
        rows: list[dict[str, object]] = []
        try:
            output = self._download(batch.output_file_id)
            errors = self._download(batch.error_file_id)
        except openai.OpenAIError as error:
            log.warning("results of %s not downloaded: %s", batch.label, _describe(error))
            return False
        for line in [*output, *errors]:
            custom_id = str(line.get("custom_id", ""))
            if custom_id not in entries:
                log.warning("batch %s answered an unknown custom_id %r", batch.label, custom_id)
                continue
            answer = _answer_of(line)
            if answer.error is None and answer.text is not None:
                outcomes[custom_id] = None
                rows.append(
                    {
                        "key": custom_id,
                        "backend": self.name,
                        "model": self.model,
                        "request_json": entries[custom_id],
                        "text": answer.text,
                        "finish_reason": answer.finish_reason,
                        "prompt_tokens": answer.prompt_tokens,
                        "completion_tokens": answer.completion_tokens,
                        "attempts": 1,
                        "latency_s": None,
                    }
                )
                collected.prompt_tokens += answer.prompt_tokens
                collected.completion_tokens += answer.completion_tokens
            else:
                outcomes[custom_id] = f"batch {batch.label}: {answer.error}"
        unanswered = f"batch {batch.label} {batch.status} without answering this request"
        if batch.errors:
            unanswered += f": {_batch_errors(batch.errors)}"
        for custom_id in entries:
            outcomes.setdefault(custom_id, unanswered)
        if rows:
            self.cache.put_many(rows)
        for custom_id, outcome in outcomes.items():
            if outcome is None:
                collected.answered.add(custom_id)
                collected.errors.pop(custom_id, None)
                continue
            self.cache.record_failure(
                custom_id, backend=self.name, model=self.model, error=outcome, attempts=1
            )
            collected.errors[custom_id] = outcome
        self.ledger.settle(batch.row, outcomes)
        log.info(
            "batch %s %s: %d answered, %d failed",
            batch.label,
            batch.status,
            len(rows),
            len(outcomes) - len(rows),
        )
        return True

    def _download(self, file_id: str | None) -> list[dict[str, Any]]:
        if not file_id:
            return []
        text = self._client.files.content(file_id).text
        lines = []
        for number, raw in enumerate(text.splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                lines.append(json.loads(raw))
            except json.JSONDecodeError:
                log.warning("line %d of %s is not JSON: %r", number, file_id, raw[:120])
        return lines


def _answer_of(line: dict[str, Any]) -> Answer:
    """The answer or the error one output/error-file line carries."""
    error = line.get("error")
    response = line.get("response") or {}
    status = response.get("status_code")
    body = response.get("body")
    if status == 200 and body is not None:
        try:
            return parse_completion(json.dumps(body).encode("utf-8"))
        except (RetryableError, FatalRequestError) as failure:
            return Answer(text=None, error=str(failure))
    if isinstance(error, dict) and error:
        return Answer(text=None, error=f"{error.get('code')}: {error.get('message')}")
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return Answer(text=None, error=f"HTTP {status}: {body['error'].get('message')}")
    return Answer(text=None, error=f"HTTP {status}: {json.dumps(body)[:300]}")


def _batch_errors(stored: str) -> str:
    try:
        value = json.loads(stored)
    except json.JSONDecodeError:
        return stored
    if isinstance(value, dict) and isinstance(value.get("data"), list):
        messages = [str(item.get("message")) for item in value["data"] if isinstance(item, dict)]
        return "; ".join(messages[:3]) + (
            f" (+{len(messages) - 3} more)" if len(messages) > 3 else ""
        )
    return str(value)


def _describe(error: BaseException) -> str:
    status = getattr(error, "status_code", None)
    prefix = f"HTTP {status}: " if status else ""
    return f"{prefix}{type(error).__name__}: {error}"


def estimated_batches(requests: int, cfg: LLMConfig) -> int:
    """How many batches `requests` cache misses need (by count; files may split further)."""
    return math.ceil(requests / max(1, cfg.batch_max_requests))
