"""A dry run: what a generation run would ask, cost and take, without asking anything.

`DryRunBackend` stands in for the configured backend. It looks every request up in the
response cache (read-only: a hit costs nothing and returns the real cached answer), counts
the rest with their prompt tokens and an assumed reply length, and answers them with a
deterministic placeholder, so multi-stage strategies (persona, conversation) go on to their
later stages and those requests are counted too. It never writes the cache and never opens
a connection.

Placeholders start with `PLACEHOLDER_MARK` and carry finish_reason "dry_run", and the
backend's name starts with "dry_run:", which the rows' provenance records: nothing built
from them can pass for generated data.

Prompt tokens come from the model's own tokenizer when it is on disk already (the prepared
local model, or a tokenizer in a local folder or the Hugging Face cache), with the chat
template applied as the local backend does. Otherwise they are estimated as OpenAI
documents for English: about 4 characters per token, plus 3 tokens of framing per message
and 3 that prime the reply.
"""

from __future__ import annotations

import json
import logging
import math
import re
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from emoexp.llm.base import result_from_cache
from emoexp.llm.batch import estimated_batches, online_equivalent
from emoexp.llm.budgets import effective_max_tokens
from emoexp.llm.cache import CachedResponse
from emoexp.llm.config import LLMConfig
from emoexp.llm.echo import EMOTION_WORDS, last_user_message
from emoexp.llm.keys import backend_identity, request_key, response_format_for
from emoexp.llm.sqlite_lookup import rows_where_in
from emoexp.llm.types import ChatRequest, ChatResult

log = logging.getLogger(__name__)

PLACEHOLDER_MARK = "[dry run]"
FINISH_REASON = "dry_run"
CHARS_PER_TOKEN = 4.0
TOKENS_PER_MESSAGE = 3
TOKENS_PER_REPLY = 3

# neutral, plausible sentences; a request's key picks one, so reruns answer the same
_SENTENCES = (
    "I spent the afternoon sorting old photos and lost track of time.",
    "The bus was a few minutes late, so I finished my coffee on the way.",
    "We moved the meeting to Thursday because half the team is travelling.",
    "My neighbour lent me a ladder to fix the gutter this weekend.",
    "I tried the new recipe tonight and it turned out roughly like the picture.",
    "The library extended its opening hours for the exam period.",
    "I walked home through the park since the rain had finally stopped.",
    "We spent the evening planning the route for next month's trip.",
)
# "2. Ana (joy)": the turn plans the conversation templates write
_TURN_PLAN = re.compile(r"^\s*\d+\.\s+(?P<speaker>[^()\n]+?)\s+\((?P<emotion>[^()\n]+)\)\s*$")

TokenCounter = Callable[[ChatRequest], int]


def estimate_prompt_tokens(request: ChatRequest) -> int:
    characters = sum(len(content) for _, content in request.messages)
    return (
        math.ceil(characters / CHARS_PER_TOKEN)
        + TOKENS_PER_MESSAGE * len(request.messages)
        + TOKENS_PER_REPLY
    )


def _tokenizer_source(cfg: LLMConfig) -> str | None:
    """Where the model's tokenizer already is on this machine, without preparing anything."""
    from emoexp.llm.local import (
        PACKAGE_PREFIX,
        PREPARED_MARKER,
        model_cache_root,
        packaged_gguf,
    )

    if cfg.model.startswith(PACKAGE_PREFIX):
        package = cfg.model[len(PACKAGE_PREFIX) :]
        try:
            prepared = model_cache_root(cfg) / f"{package}-{packaged_gguf(package).stem}"
        except RuntimeError:
            return None
        return str(prepared) if (prepared / PREPARED_MARKER).is_file() else None
    return cfg.model


def tokenizer_counter(cfg: LLMConfig) -> tuple[TokenCounter, str] | None:
    """A counter using the model's tokenizer when it loads from local files, else None."""
    source = _tokenizer_source(cfg)
    if source is None:
        return None
    try:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=True)
    except Exception as error:  # any failure to load only means: estimate instead
        log.info("no local tokenizer for %s (%s); estimating tokens", cfg.model, error)
        return None

    def count(request: ChatRequest) -> int:
        messages = [{"role": role, "content": content} for role, content in request.messages]
        if tokenizer.chat_template is not None:
            text = tokenizer.apply_chat_template(
                messages, add_generation_prompt=True, tokenize=False
            )
        else:
            text = "\n".join(content for _, content in request.messages)
        return len(tokenizer(text, add_special_tokens=False)["input_ids"])

    return count, f"tokenizer of {cfg.model} ({source})"


def placeholder_reply(request: ChatRequest, key: str, structured: bool) -> str:
    """A deterministic stand-in reply in the shape the request asks for: plain text, a JSON
    sample, a JSON dialogue, or "Name: line" lines when the prompt plans a dialogue."""
    sentence = f"{PLACEHOLDER_MARK} {_SENTENCES[int(key[:8], 16) % len(_SENTENCES)]}"
    prompt = last_user_message(request.messages)
    turns = [
        (match["speaker"].strip(), match["emotion"].strip())
        for match in map(_TURN_PLAN.match, prompt.splitlines())
        if match is not None
    ]
    schema = request.json_schema or {}
    if structured and (schema.get("type") == "array" or turns):
        allowed = _enum_of(schema.get("items", {}).get("properties", {}).get("emotion", {}))
        if not turns:
            first = allowed[0] if allowed else "neutral"
            turns = [("Speaker A", first), ("Speaker B", first)]
        return json.dumps(
            [
                {"speaker": speaker, "text": sentence, "emotion": emotion}
                for speaker, emotion in turns
            ]
        )
    if structured:
        allowed = _enum_of(schema.get("properties", {}).get("emotions", {}).get("items", {}))
        emotions = _emotions_asked(prompt, allowed or list(EMOTION_WORDS))
        if not emotions:
            emotions = allowed[:1] or ["neutral"]
        return json.dumps({"text": sentence, "emotions": emotions})
    if turns:
        return "\n".join(f"{speaker}: {sentence}" for speaker, _ in turns)
    return sentence


def _emotions_asked(prompt: str, allowed: Sequence[str]) -> list[str]:
    """The allowed emotions named on the first prompt line that names any ("... who feels
    joy and relief."); a later line listing every label is not what was asked for."""
    for line in prompt.lower().splitlines():
        found = [
            label
            for label in allowed
            if re.search(rf"\b{re.escape(label.replace('_', ' ').lower())}\b", line)
        ]
        if found:
            return found
    return []


def _enum_of(schema: dict[str, Any]) -> list[str]:
    values = schema.get("enum") if isinstance(schema, dict) else None
    return [str(value) for value in values] if isinstance(values, list) else []


class ReadOnlyCache:
    """Looks keys up in the response cache without creating, migrating or writing it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        if path.is_file():
            self._conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=60.0)

    def present(self, keys: Iterable[str]) -> set[str]:
        if self._conn is None:
            return set()
        try:
            rows = rows_where_in(
                self._conn, "SELECT key FROM responses WHERE key IN ({marks})", keys
            )
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                return set()
            raise
        return {row[0] for row in rows}

    def answers(self, keys: Iterable[str]) -> dict[str, tuple[str, str | None, int, int]]:
        """key -> (text, finish_reason, prompt_tokens, completion_tokens) of cached keys."""
        present = self.present(keys)
        if self._conn is None or not present:
            return {}
        rows = rows_where_in(
            self._conn,
            "SELECT key, text, finish_reason, prompt_tokens, completion_tokens"
            " FROM responses WHERE key IN ({marks})",
            present,
        )
        return {row[0]: tuple(row[1:]) for row in rows}

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class _Tally:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def add(self, **values: int) -> None:
        self.counts.update(values)


class DryRunBackend:
    """Counts what the configured backend would be asked; answers with placeholders."""

    def __init__(self, cfg: LLMConfig, cache_path: Path) -> None:
        self.cfg = cfg
        # the keys the real backend files answers under (a batch answer is an online one)
        self.key_cfg = online_equivalent(cfg)
        self.name = f"dry_run:{backend_identity(self.key_cfg)}"
        self.model = cfg.model
        self.cache = ReadOnlyCache(Path(cache_path))
        counter = tokenizer_counter(cfg)
        if counter is None:
            self._count_prompt: TokenCounter = estimate_prompt_tokens
            self.token_counting = (
                f"estimate: {CHARS_PER_TOKEN:g} characters per token, plus"
                f" {TOKENS_PER_MESSAGE} per message and {TOKENS_PER_REPLY} per reply"
            )
        else:
            self._count_prompt, self.token_counting = counter
        # keys this dry run already counted as sent: asked again, the cache would serve them
        self._sent: set[str] = set()
        self._total = _Tally()
        self._by_template: dict[str, _Tally] = {}

    def generate(self, requests: Sequence[ChatRequest]) -> list[ChatResult]:
        keys = [request_key(self.key_cfg, request) for request in requests]
        cached = self.cache.answers(keys)
        results = []
        for request, key in zip(requests, keys, strict=True):
            tallies = (self._total, self._by_template.setdefault(request.template, _Tally()))
            if key in cached:
                text, finish_reason, prompt_tokens, completion_tokens = cached[key]
                for tally in tallies:
                    tally.add(requests=1, cache_hits=1)
                hit = CachedResponse(
                    key, text, finish_reason, prompt_tokens, completion_tokens, 0, 0.0
                )
                results.append(result_from_cache(request, key, hit))
                continue
            prompt_tokens = self._count_prompt(request)
            output_tokens = self._output_tokens(request)
            if key in self._sent:
                for tally in tallies:
                    tally.add(requests=1, repeats=1)
            else:
                self._sent.add(key)
                for tally in tallies:
                    tally.add(
                        requests=1,
                        to_send=1,
                        prompt_tokens=prompt_tokens,
                        output_tokens=output_tokens,
                    )
            structured = response_format_for(self.key_cfg, request) is not None
            results.append(
                ChatResult(
                    request=request,
                    text=placeholder_reply(request, key, structured),
                    prompt_tokens=prompt_tokens,
                    completion_tokens=output_tokens,
                    key=key,
                    attempts=0,
                    finish_reason=FINISH_REASON,
                )
            )
        return results

    def _output_tokens(self, request: ChatRequest) -> int:
        if self.cfg.dry_run_output_tokens > 0:
            return self.cfg.dry_run_output_tokens
        return effective_max_tokens(self.cfg, request)

    def close(self) -> None:
        self.cache.close()

    def summary(self) -> dict[str, Any]:
        """Requests, tokens, cost and time the real run would take (see `format_summary`)."""
        cfg = self.cfg
        total = self._total.counts
        return {
            "backend": backend_identity(self.key_cfg),
            "model": cfg.model,
            "requests": _requests(total),
            "tokens": {
                "prompt": total["prompt_tokens"],
                "output": total["output_tokens"],
                "prompt_counting": self.token_counting,
                "output_assumption": (
                    f"{cfg.dry_run_output_tokens} per request (llm.dry_run_output_tokens)"
                    if cfg.dry_run_output_tokens > 0
                    else "each request's max_tokens"
                ),
            },
            "cost_usd": _cost(total, cfg),
            "time": _time(total, cfg),
            "by_template": {
                template or "(none)": {
                    **_requests(tally.counts),
                    "prompt_tokens": tally.counts["prompt_tokens"],
                    "output_tokens": tally.counts["output_tokens"],
                    "cost_usd": _cost(tally.counts, cfg)["total"],
                }
                for template, tally in sorted(self._by_template.items())
            },
        }


def _requests(counts: Counter[str]) -> dict[str, int]:
    return {
        "total": counts["requests"],
        "cache_hits": counts["cache_hits"],
        # the same request again within this run: the first answer would serve it
        "repeats": counts["repeats"],
        "to_send": counts["to_send"],
    }


def _cost(counts: Counter[str], cfg: LLMConfig) -> dict[str, float]:
    prompt = counts["prompt_tokens"] * cfg.price_input_per_1m / 1e6
    output = counts["output_tokens"] * cfg.price_output_per_1m / 1e6
    return {
        "input": prompt,
        "output": output,
        "total": prompt + output,
        "price_input_per_1m": cfg.price_input_per_1m,
        "price_output_per_1m": cfg.price_output_per_1m,
    }


def _time(counts: Counter[str], cfg: LLMConfig) -> dict[str, Any]:
    """Online engine: `max_concurrency` requests in flight, each taking the assumed
    latency, bounded below by the client-side rate limits."""
    to_send = counts["to_send"]
    concurrency = max(1, cfg.max_concurrency)
    by_latency = math.ceil(to_send / concurrency) * cfg.dry_run_latency_s
    bounds = {"latency_s": by_latency}
    if cfg.requests_per_minute > 0:
        bounds["requests_per_minute_s"] = to_send / cfg.requests_per_minute * 60.0
    if cfg.tokens_per_minute > 0:
        tokens = counts["prompt_tokens"] + counts["output_tokens"]
        bounds["tokens_per_minute_s"] = tokens / cfg.tokens_per_minute * 60.0
    estimate: dict[str, Any] = {
        "online_s": max(bounds.values()),
        "bounds_s": bounds,
        "assumed_latency_s": cfg.dry_run_latency_s,
        "max_concurrency": concurrency,
    }
    if cfg.backend == "openai_batch":
        estimate["batches"] = estimated_batches(to_send, cfg)
        estimate["note"] = (
            f"{estimate['batches']} Batch API batches, answered within their 24 h window;"
            " online_s is for llm=openai"
        )
    elif cfg.backend == "local":
        estimate["note"] = (
            "the local backend generates in this process in batches of llm.batch_size;"
            " online_s assumes an OpenAI-compatible server"
        )
    return estimate


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def format_summary(summary: dict[str, Any]) -> str:
    """The summary as a few lines for the terminal."""
    requests, tokens = summary["requests"], summary["tokens"]
    cost, timing = summary["cost_usd"], summary["time"]
    lines = [
        f"Dry run: {summary['backend']} / {summary['model']}",
        f"  requests   {requests['total']:>10,} total, {requests['cache_hits']:,} cache hits,"
        f" {requests['repeats']:,} repeats, {requests['to_send']:,} to send",
        f"  tokens     {tokens['prompt']:>10,} prompt ({tokens['prompt_counting']})",
        f"             {tokens['output']:>10,} output ({tokens['output_assumption']})",
        f"  cost       {'$' + format(cost['total'], ',.4f'):>10} (input ${cost['input']:,.4f} at"
        f" ${cost['price_input_per_1m']:g}/1M, output ${cost['output']:,.4f} at"
        f" ${cost['price_output_per_1m']:g}/1M)",
        f"  time       {_duration(timing['online_s']):>10} online, {timing['max_concurrency']}"
        f" in flight at {timing['assumed_latency_s']:g} s each",
    ]
    if "note" in timing:
        lines.append(f"             ({timing['note']})")
    if summary["by_template"]:
        lines.append("  by template:")
        width = max(len(name) for name in summary["by_template"])
        for name, row in summary["by_template"].items():
            lines.append(
                f"    {name:<{width}}  {row['total']:>8,} requests, {row['cache_hits']:,} hits,"
                f" {row['to_send']:,} to send, {row['prompt_tokens']:,} + {row['output_tokens']:,}"
                f" tokens, ${row['cost_usd']:,.4f}"
            )
    return "\n".join(lines)
