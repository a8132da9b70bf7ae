"""The request engine for OpenAI-compatible servers (OpenAI, vLLM, Ollama, any proxy).

Raw aiohttp on the hot path: a fixed pool of `max_concurrency` workers, each taking the
next request as soon as its last one is done, so the window of requests in flight stays
full and nobody waits for the slowest of a batch. Each request retries on its own (429,
5xx, timeouts, dropped connections) with exponential backoff and full jitter, honouring
Retry-After, within a hard bound on its total time; any other 4xx fails that one request
at once with the server's message. Two faults end the whole run instead: an error that
names the request's format (a structured-output form or a field the server does not take:
every request would fail alike), and a server that answers nothing to many requests in a row
(dead or hanging). Every answer is committed to the response cache the
moment it arrives, so a killed run loses only what was in flight.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import os
import random
import threading
import time
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import aiohttp

from emoexp.llm.base import (
    Answer,
    PendingRequest,
    cache_row,
    look_up,
    request_bar,
    result_from_answer,
)
from emoexp.llm.cache import ResponseCache
from emoexp.llm.config import LLMConfig, base_urls
from emoexp.llm.keys import backend_identity
from emoexp.llm.ratelimit import TokenBucket
from emoexp.llm.stats import RunStats
from emoexp.llm.structured import format_advice, names_request_format
from emoexp.llm.types import ChatRequest, ChatResult
from emoexp.llm.writer import CacheWriter

log = logging.getLogger(__name__)

OPENAI_BASE_URL = "https://api.openai.com/v1"
# statuses worth another try: request timeout, conflict, too early, rate limit, server errors
RETRYABLE_STATUSES = frozenset({408, 409, 425, 429})
_T = TypeVar("_T")


class RetryableError(Exception):
    def __init__(
        self, message: str, retry_after_s: float | None = None, *, unreachable: bool = False
    ) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
        # no answer at all (refused, dropped or timed-out connection), not a server's error
        self.unreachable = unreachable


class FatalRequestError(Exception):
    """The server refused this request for a reason another try will not change."""


class ServerRefusedFormat(RuntimeError):
    """The server refused the form of the requests (a structured-output form, a seed, a
    parameter name): every request would fail alike, so the run stops at the first one."""


class ServerUnavailable(RuntimeError):
    """The server answered nothing (refused connections or timeouts) for many requests in
    a row: a dead or hanging server, so the run stops instead of retrying each request."""


def parse_retry_after(headers: Any) -> float | None:
    """Seconds to wait from `retry-after-ms` (OpenAI) or `Retry-After` (seconds or a date)."""
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return max(0.0, float(milliseconds) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def server_message(raw: bytes) -> str:
    """The `error.message` of an OpenAI-style error body, else the body's start."""
    text = raw.decode("utf-8", errors="replace")
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return text[:500].strip()
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        if isinstance(error, str):
            return error
        if data.get("message"):
            return str(data["message"])
    return text[:500].strip()


def parse_completion(raw: bytes) -> Answer:
    """Text, usage and finish reason of a chat completion body; a body that is not one is
    a transient fault (a proxy's error page, a cut-off stream) worth another try."""
    try:
        data = json.loads(raw)
        choice = data["choices"][0]
        content = choice["message"].get("content")
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, IndexError, TypeError) as error:
        snippet = raw[:120].decode("utf-8", errors="replace")
        raise RetryableError(f"malformed reply ({type(error).__name__}): {snippet!r}") from None
    finish_reason = choice.get("finish_reason")
    if content is None:
        refusal = choice["message"].get("refusal")
        raise FatalRequestError(
            f"reply without content (finish_reason={finish_reason}, refusal={refusal!r})"
        )
    usage = data.get("usage") or {}
    return Answer(
        text=str(content),
        prompt_tokens=int(usage.get("prompt_tokens") or 0),
        completion_tokens=int(usage.get("completion_tokens") or 0),
        finish_reason=finish_reason,
    )


def run_sync(coroutine: Coroutine[Any, Any, _T]) -> _T:
    """asyncio.run, also from code that already runs an event loop (a notebook)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coroutine)
        except BaseException as error:
            box["error"] = error

    thread = threading.Thread(target=target, name="emoexp-llm-engine")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


class Endpoints:
    """Spreads requests over several base URLs: the one with fewest requests in flight
    (ties rotate), or plain round robin."""

    def __init__(self, urls: Sequence[str], balancing: str) -> None:
        if not urls:
            raise ValueError("at least one base URL is needed")
        if balancing not in ("least_loaded", "round_robin"):
            raise ValueError(f"llm.balancing must be least_loaded or round_robin, got {balancing}")
        self.urls = [url.rstrip("/") + "/chat/completions" for url in urls]
        self.balancing = balancing
        self.in_flight = [0] * len(urls)
        self.sent = [0] * len(urls)
        self._next = 0

    def acquire(self) -> int:
        count = len(self.urls)
        start = self._next
        self._next = (self._next + 1) % count
        if self.balancing == "round_robin":
            chosen = start
        else:
            chosen = min(
                ((start + step) % count for step in range(count)),
                key=lambda index: self.in_flight[index],
            )
        self.in_flight[chosen] += 1
        self.sent[chosen] += 1
        return chosen

    def release(self, index: int) -> None:
        self.in_flight[index] -= 1


@dataclass
class _Run:
    """State of one `agenerate` call, shared by its workers (all on one event loop)."""

    session: aiohttp.ClientSession
    endpoints: Endpoints
    stats: RunStats
    bar: Any
    requests_bucket: TokenBucket | None
    tokens_bucket: TokenBucket | None
    writer: CacheWriter | None
    last_postfix: float = 0.0
    # connection failures and timeouts since the last answer, and how many end the run
    unreachable_in_a_row: int = 0
    unreachable_limit: int = 2


class OpenAICompatibleBackend:
    """Any server that speaks POST {base_url}/chat/completions."""

    def __init__(self, cfg: LLMConfig, cache: ResponseCache | None) -> None:
        self.cfg = cfg
        self.cache = cache
        self.name = backend_identity(cfg)
        self.model = cfg.model
        self.base_urls = base_urls(cfg) or [OPENAI_BASE_URL]
        if cfg.model.startswith("package:"):
            raise ValueError(
                f"llm.model={cfg.model} names a packaged local model; set llm.model to a model"
                " the server at llm.base_url serves"
            )
        if cfg.max_concurrency < 1:
            raise ValueError(f"llm.max_concurrency must be at least 1, got {cfg.max_concurrency}")
        api_key = os.environ.get(cfg.api_key_env, "") if cfg.api_key_env else ""
        if not api_key and any("api.openai.com" in url for url in self.base_urls):
            raise RuntimeError(
                f"the OpenAI API needs a key: set the environment variable {cfg.api_key_env}"
            )
        # the key lives only in this header dict: never in the cache, a log or a repr
        self._headers = {"Content-Type": "application/json"}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self.last_run = RunStats()
        self.total = RunStats()

    def __repr__(self) -> str:
        return (
            f"OpenAICompatibleBackend(name={self.name!r}, model={self.model!r},"
            f" urls={self.base_urls!r})"
        )

    def generate(self, requests: Sequence[ChatRequest]) -> list[ChatResult]:
        return run_sync(self.agenerate(requests))

    async def agenerate(self, requests: Sequence[ChatRequest]) -> list[ChatResult]:
        started = time.perf_counter()
        lookup = look_up(self.cfg, self.cache, requests)
        results, positions, misses, stats = (
            lookup.results, lookup.positions, lookup.misses, lookup.stats
        )  # fmt: skip

        bar = request_bar(self.cfg, self.name, self.model, lookup)
        connector = aiohttp.TCPConnector(limit=self.cfg.max_concurrency, ttl_dns_cache=300)
        timeout = aiohttp.ClientTimeout(total=self.cfg.timeout_s)
        writer = CacheWriter(self.cache).start() if self.cache is not None else None
        try:
            async with aiohttp.ClientSession(
                connector=connector,
                timeout=timeout,
                headers=self._headers,
                cookie_jar=aiohttp.DummyCookieJar(),
            ) as session:
                run = _Run(
                    session=session,
                    endpoints=Endpoints(self.base_urls, self.cfg.balancing),
                    stats=stats,
                    bar=bar,
                    requests_bucket=TokenBucket(self.cfg.requests_per_minute)
                    if self.cfg.requests_per_minute > 0
                    else None,
                    tokens_bucket=TokenBucket(self.cfg.tokens_per_minute)
                    if self.cfg.tokens_per_minute > 0
                    else None,
                    writer=writer,
                )
                pending_iter = iter(misses)

                async def worker() -> None:
                    for pending in pending_iter:
                        answer = await self._record(run, pending, await self._answer(run, pending))
                        for index in positions[pending.key]:
                            results[index] = result_from_answer(
                                pending.request, pending.key, answer
                            )
                        self._progress(run, len(positions[pending.key]))

                count = min(self.cfg.max_concurrency, len(misses))
                # a dead server fails every worker's request: stop once each worker (or
                # max_consecutive_failures of them) saw it, about two timeouts at most
                run.unreachable_limit = max(2, min(self.cfg.max_consecutive_failures, 2 * count))
                tasks = [asyncio.create_task(worker()) for _ in range(count)]
                try:
                    await asyncio.gather(*tasks)
                except BaseException:
                    # a broken cache, a refused request format, a dead server or a cancelled
                    # run: stop the others; every answer committed so far stays in the cache
                    for task in tasks:
                        task.cancel()
                    await asyncio.gather(*tasks, return_exceptions=True)
                    raise
        finally:
            if writer is not None:
                writer.close()
            bar.set_postfix(hits=stats.cache_hits, failed=stats.failures, retries=stats.retries)
            bar.close()
        stats.wall_s = time.perf_counter() - started
        self.last_run = stats
        self.total.merge(stats)
        log.info("%s: %s", self.name, stats.summary())
        return [result for result in results if result is not None]

    def _progress(self, run: _Run, done: int) -> None:
        run.bar.update(done)
        now = time.monotonic()
        if now - run.last_postfix > 0.5:
            run.last_postfix = now
            run.bar.set_postfix(
                hits=run.stats.cache_hits,
                failed=run.stats.failures,
                retries=run.stats.retries,
                refresh=False,
            )

    def _body(self, pending: PendingRequest) -> bytes:
        sampling = pending.sampling
        body: dict[str, Any] = {
            "model": self.cfg.model,
            "messages": [
                {"role": role, "content": content} for role, content in pending.request.messages
            ],
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            self.cfg.max_tokens_field: sampling.max_tokens,
        }
        if self.cfg.send_seed:
            body["seed"] = sampling.seed
        if sampling.response_format is not None:
            body["response_format"] = sampling.response_format
        body.update(self.cfg.extra_body)
        return json.dumps(body, ensure_ascii=False).encode("utf-8")

    def _estimated_tokens(self, pending: PendingRequest) -> float:
        characters = sum(len(content) for _, content in pending.request.messages)
        return characters / 4.0 + pending.sampling.max_tokens

    async def _answer(self, run: _Run, pending: PendingRequest) -> Answer:
        """One request to its end: an answer, or an error after the retries ran out, within
        `max_retry_time_s` all told (the attempt in flight included)."""
        body = self._body(pending)
        started = time.monotonic()
        attempts = 0
        while True:
            attempts += 1
            if run.requests_bucket is not None:
                await run.requests_bucket.acquire(1.0)
            if run.tokens_bucket is not None:
                await run.tokens_bucket.acquire(self._estimated_tokens(pending))
            remaining = self.cfg.max_retry_time_s - (time.monotonic() - started)
            endpoint = run.endpoints.acquire()
            sent_at = time.monotonic()
            url = run.endpoints.urls[endpoint]
            try:
                timeout_s = min(self.cfg.timeout_s, remaining)
                answer = await self._post(run.session, url, body, timeout_s)
                run.unreachable_in_a_row = 0
                return replace(answer, attempts=attempts, latency_s=time.monotonic() - sent_at)
            except FatalRequestError as error:
                run.unreachable_in_a_row = 0
                return Answer(text=None, error=str(error), attempts=attempts)
            except RetryableError as error:
                last_error, retry_after = str(error), error.retry_after_s
                if error.unreachable:
                    run.unreachable_in_a_row += 1
                    if run.unreachable_in_a_row >= run.unreachable_limit:
                        raise ServerUnavailable(
                            f"{self.name} at {url} gave no answer to"
                            f" {run.unreachable_in_a_row} requests in a row ({last_error});"
                            " the run stops. Answers received so far are in the response"
                            " cache; rerun once the server is up (llm.timeout_s sets how long"
                            " one request may take)."
                        ) from None
                else:
                    run.unreachable_in_a_row = 0
            except ServerRefusedFormat:
                raise
            except Exception as error:  # a bug or an unforeseen client fault: this request only
                log.exception("request %s failed unexpectedly", pending.key[:12])
                return Answer(
                    text=None,
                    error=f"unexpected {type(error).__name__}: {error}",
                    attempts=attempts,
                )
            finally:
                run.endpoints.release(endpoint)
            if attempts > self.cfg.max_retries:
                return Answer(
                    text=None,
                    error=f"gave up after {attempts} attempts: {last_error}",
                    attempts=attempts,
                )
            ceiling = min(self.cfg.backoff_max_s, self.cfg.backoff_base_s * 2 ** (attempts - 1))
            delay = random.uniform(0.0, ceiling)
            if retry_after is not None:
                delay = max(delay, retry_after)
            elapsed = time.monotonic() - started
            # a retry needs time for its wait and for an answer: stop when none is left
            if elapsed + delay >= self.cfg.max_retry_time_s:
                return Answer(
                    text=None,
                    error=(
                        f"gave up after {attempts} attempts in {elapsed:.1f} s"
                        f" (llm.max_retry_time_s={self.cfg.max_retry_time_s}): {last_error}"
                    ),
                    attempts=attempts,
                )
            run.stats.retries += 1
            log.debug("retrying %s in %.2f s after: %s", pending.key[:12], delay, last_error)
            await asyncio.sleep(delay)

    async def _post(
        self, session: aiohttp.ClientSession, url: str, body: bytes, timeout_s: float
    ) -> Answer:
        try:
            async with session.post(
                url, data=body, timeout=aiohttp.ClientTimeout(total=max(0.001, timeout_s))
            ) as response:
                raw = await response.read()
                status = response.status
                headers = response.headers
        except TimeoutError:
            raise RetryableError(f"timed out after {timeout_s:.1f} s", unreachable=True) from None
        except aiohttp.ClientError as error:
            raise RetryableError(
                f"connection error: {type(error).__name__}: {error}", unreachable=True
            ) from None
        if status == 200:
            return parse_completion(raw)
        message = server_message(raw)
        if status in (400, 404, 422, 500, 501) and self._refuses_format(message):
            raise ServerRefusedFormat(
                f"{self.name} at {url} refused the request's format (HTTP {status}: {message});"
                f" the run stops. {format_advice(self.cfg, message)}"
            )
        if status in RETRYABLE_STATUSES or status >= 500:
            raise RetryableError(f"HTTP {status}: {message}", parse_retry_after(headers))
        raise FatalRequestError(f"HTTP {status} from {url}: {message}")

    @staticmethod
    def _refuses_format(message: str) -> bool:
        """A message about the request's form, not about this one request being too long."""
        lowered = message.lower()
        if "context length" in lowered or "context window" in lowered:
            return False
        return names_request_format(message)

    async def _record(self, run: _Run, pending: PendingRequest, answer: Answer) -> Answer:
        """Commit the answer (or the failure) before anyone can use it; returns the answer
        the cache holds (another run may have stored this request first)."""
        stats = run.stats
        if answer.error is None and answer.text is not None:
            if run.writer is not None:
                kept = await run.writer.store(cache_row(self.name, self.model, pending, answer))
                if kept is not None:
                    answer = replace(answer, text=kept.text)
            stats.generated += 1
            stats.add_usage(
                answer.prompt_tokens,
                answer.completion_tokens,
                self.cfg.price_input_per_1m,
                self.cfg.price_output_per_1m,
            )
            return answer
        stats.failures += 1
        log.warning("request %s failed: %s", pending.key[:12], answer.error)
        if self.cache is not None:
            self.cache.record_failure(
                pending.key,
                backend=self.name,
                model=self.model,
                error=answer.error or "no text",
                attempts=answer.attempts,
            )
        return answer
