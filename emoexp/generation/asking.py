"""Sending one stage's requests and reading the replies, with re-asks and bookkeeping.

All requests of a stage go to the backend in one call, so a concurrent backend keeps every
slot busy. A reply that cannot be used is asked again with a corrective follow-up message
(a new cache key, so the second answer is a new answer) up to `max_reasks` times; a failed
LLM call (the backend already retried it) is not asked again. Whatever is finally unusable
comes back as a `ParsedAnswer` with a reason: nothing is dropped, nothing raises.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from emoexp.generation.replies import REASK_PREFIX, Parsed, prompt_echo, reject, reply_texts
from emoexp.llm.types import ChatRequest, ChatResult, LLMBackend

# reads one reply; the flag says whether the backend cut it at the token limit (None: unknown)
Reader = Callable[[str, bool | None], Parsed[Any]]

# a reply cut off at the token limit is asked once more with this many times the budget
TRUNCATION_FACTOR = 2

_FOLLOW_UP_JSON = (
    REASK_PREFIX + " ({detail}). Answer again with only the JSON asked for, "
    "nothing before or after it."
)
_FOLLOW_UP_PLAIN = REASK_PREFIX + " ({detail}). Answer again with only the text asked for."


@dataclass
class ParsedAnswer:
    """The outcome of one request after all its attempts."""

    request: ChatRequest
    # the reader's value (None when rejected)
    value: Any
    raw: str | None
    reason: str = ""
    detail: str = ""
    attempts: int = 1
    cached: bool = False
    finish_reason: str | None = None

    @property
    def ok(self) -> bool:
        return not self.reason


@dataclass
class GenStats:
    """Counts a run reports: how many requests, parses, re-asks and rejections and why."""

    requests: int = 0
    cached: int = 0
    llm_errors: int = 0
    json_parsed: int = 0
    json_valid: int = 0
    reasks: int = 0
    # replies cut off at the token limit, and re-asks of them with a larger budget
    truncated: int = 0
    truncation_reasks: int = 0
    # planned samples never asked for because an earlier stage or turn of theirs failed
    unrequested: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    # a failed attempt's reason, including attempts that a re-ask then repaired
    failures: Counter[str] = field(default_factory=Counter)
    # the final verdict of rows that were rejected
    rejections: Counter[str] = field(default_factory=Counter)
    stage_requests: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    # a strategy's own counts (e.g. where dialogue emotion arcs came from)
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.details,
            "requests": self.requests,
            "cached": self.cached,
            "llm_errors": self.llm_errors,
            "json_parsed": self.json_parsed,
            "json_valid": self.json_valid,
            "reasks": self.reasks,
            "truncated": self.truncated,
            "truncation_reasks": self.truncation_reasks,
            "unrequested": self.unrequested,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "failures": dict(sorted(self.failures.items())),
            "rejections": dict(sorted(self.rejections.items())),
            "stage_requests": dict(self.stage_requests),
            "notes": list(self.notes),
        }


def _follow_up(request: ChatRequest, raw: str, parsed: Parsed[Any], attempt: int) -> ChatRequest:
    template = _FOLLOW_UP_JSON if request.metadata.get("structured") else _FOLLOW_UP_PLAIN
    detail = f"{parsed.reason}: {parsed.detail}" if parsed.detail else parsed.reason
    messages = (*request.messages, ("assistant", raw), ("user", template.format(detail=detail)))
    return replace(request, messages=messages, metadata={**request.metadata, "attempt": attempt})


def _larger_budget(request: ChatRequest, attempt: int) -> ChatRequest:
    """The same request with TRUNCATION_FACTOR times its reply budget (a new cache key)."""
    return replace(
        request,
        budget_factor=request.budget_factor * TRUNCATION_FACTOR,
        metadata={**request.metadata, "attempt": attempt},
    )


def ask(
    backend: LLMBackend,
    requests: Sequence[ChatRequest],
    read: Reader | Sequence[Reader],
    *,
    max_reasks: int,
    stats: GenStats,
    stage: str,
) -> list[ParsedAnswer]:
    """One `ParsedAnswer` per request, in order. `read` is one reader for all replies or one per
    request (a dialogue turn strips its own speaker's name).

    An unusable reply is asked again with a corrective message up to `max_reasks` times;
    an unusable reply cut off at the token limit is first asked again, once, with a larger
    budget, and rejected as `truncated` if that one is cut off too."""
    readers = list(read) if isinstance(read, Sequence) else [read] * len(requests)
    if len(readers) != len(requests):
        raise ValueError(f"{len(readers)} readers for {len(requests)} requests")
    answers: list[ParsedAnswer | None] = [None] * len(requests)
    tries = [_Tries() for _ in requests]
    pending = list(range(len(requests)))
    current = list(requests)
    while pending:
        batch = [current[index] for index in pending]
        results = backend.generate(batch)
        if len(results) != len(batch):
            raise RuntimeError(
                f"backend {backend.name} returned {len(results)} results for {len(batch)} requests"
            )
        stats.requests += len(batch)
        stats.stage_requests[stage] += len(batch)
        stats.reasks += sum(tries[index].sent > 0 for index in pending)
        still_pending: list[int] = []
        for index, result in zip(pending, results, strict=True):
            answer, retry = _judge(result, readers[index], tries[index], max_reasks, stats, stage)
            if retry is not None:
                current[index] = retry
                still_pending.append(index)
            else:
                answers[index] = answer
        pending = still_pending
    return [answer for answer in answers if answer is not None]


@dataclass
class _Tries:
    """What one request has used so far: replies read, corrective re-asks, budget raises."""

    sent: int = 0
    reasks: int = 0
    enlarged: bool = False


def _judge(
    result: ChatResult,
    read: Reader,
    tries: _Tries,
    max_reasks: int,
    stats: GenStats,
    stage: str,
) -> tuple[ParsedAnswer | None, ChatRequest | None]:
    """The final answer for this result, or the follow-up request to send instead."""
    stats.cached += int(result.cached)
    stats.prompt_tokens += result.prompt_tokens
    stats.completion_tokens += result.completion_tokens
    tries.sent += 1
    attempts = tries.sent
    if not result.ok:
        stats.llm_errors += 1
        stats.failures[f"{stage}:llm_error"] += 1
        error = result.error or "the backend returned no text"
        return ParsedAnswer(result.request, None, result.text, "llm_error", error, attempts), None
    raw = result.text or ""
    truncated = None if result.finish_reason is None else result.finish_reason == "length"
    stats.truncated += int(bool(truncated))
    parsed = read(raw, truncated)
    stats.json_parsed += int(parsed.json_ok)
    # a dry run's stand-in replies reuse a few sentences: they are not judged as echoes
    if parsed.ok and result.finish_reason != "dry_run":
        echo = _first_echo(parsed.value, result.request)
        if echo is not None:
            parsed = reject(*echo, json_ok=parsed.json_ok)
    if parsed.ok:
        stats.json_valid += int(parsed.json_ok)
        answer = ParsedAnswer(
            result.request, parsed.value, raw, "", "", attempts, result.cached, result.finish_reason
        )
        return answer, None
    if truncated:
        stats.failures[f"{stage}:truncated"] += 1
        if not tries.enlarged:
            tries.enlarged = True
            stats.truncation_reasks += 1
            return None, _larger_budget(result.request, attempts)
        reason, detail = (
            "truncated",
            (
                f"finish_reason={result.finish_reason} after {result.completion_tokens} tokens,"
                f" also with a larger budget ({parsed.reason}: {parsed.detail})"
            ),
        )
        answer = ParsedAnswer(
            result.request, None, raw, reason, detail, attempts, result.cached, result.finish_reason
        )
        return answer, None
    stats.failures[f"{stage}:{parsed.reason}"] += 1
    if tries.reasks < max_reasks:
        tries.reasks += 1
        return None, _follow_up(result.request, raw, parsed, attempts)
    answer = ParsedAnswer(
        result.request,
        None,
        raw,
        parsed.reason,
        parsed.detail,
        attempts,
        result.cached,
        result.finish_reason,
    )
    return answer, None


def _first_echo(value: Any, request: ChatRequest) -> tuple[str, str] | None:
    """The first text of a reply that only echoes its prompt, as (reason, detail)."""
    for text in reply_texts(value):
        echo = prompt_echo(text, request.messages)
        if echo is not None:
            return echo
    return None
