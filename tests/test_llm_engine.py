"""The request engine against a real aiohttp server on loopback: retries, fail-fast 4xx,
timeouts, the sliding window, load spreading, rate limits, and the cache in front of it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from helpers.loopback_server import Faults, LoopbackServer

from emoexp.llm.cache import ResponseCache
from emoexp.llm.config import LLMConfig
from emoexp.llm.echo import echo_reply
from emoexp.llm.engine import OpenAICompatibleBackend, ServerUnavailable, parse_retry_after
from emoexp.llm.keys import request_key
from emoexp.llm.types import ChatRequest
from emoexp.text.json_extract import extract_json


def config_for(*servers: LoopbackServer, **overrides: object) -> LLMConfig:
    values: dict[str, object] = {
        "backend": "openai",
        "model": "loopback-echo",
        "base_url": [server.base_url for server in servers],
        "api_key_env": "EMOEXP_TEST_UNSET_KEY",
        "max_concurrency": 8,
        "max_retries": 4,
        "timeout_s": 5.0,
        "backoff_base_s": 0.01,
        "backoff_max_s": 0.05,
        "progress": False,
    }
    values.update(overrides)
    return LLMConfig(**values)  # type: ignore[arg-type]


def prompts(count: int, prefix: str = "prompt") -> list[ChatRequest]:
    return [ChatRequest(messages=(("user", f"{prefix} {i}"),)) for i in range(count)]


@pytest.fixture
def cache(tmp_path: Path):
    with ResponseCache(tmp_path / "responses.sqlite") as opened:
        yield opened


def test_replies_arrive_in_order_and_belong_to_their_request(cache: ResponseCache) -> None:
    requests = prompts(30)
    with LoopbackServer(Faults(latency_s=0.01, jitter_s=0.03)) as server:
        cfg = config_for(server)
        results = OpenAICompatibleBackend(cfg, cache).generate(requests)
    assert [r.request for r in results] == requests
    for request, result in zip(requests, results, strict=True):
        seed = int(result.key[:8], 16) & 0x7FFFFFFF
        assert result.ok and result.attempts == 1
        assert result.text == echo_reply(request.messages, seed, structured=False)
        assert result.key == request_key(cfg, request)


def test_injected_rate_limits_and_server_errors_are_retried_to_success(
    cache: ResponseCache,
) -> None:
    faults = Faults(p_429=0.3, p_5xx=0.1, p_drop=0.05, p_malformed=0.05, retry_after_s=0.01)
    with LoopbackServer(faults) as server:
        backend = OpenAICompatibleBackend(config_for(server, max_retries=10), cache)
        results = backend.generate(prompts(120))
        statuses = server.stats.statuses
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    assert statuses[429] > 10 and statuses[500] + statuses[502] + statuses[503] > 3
    assert backend.last_run.retries == server.stats.requests - 120
    assert backend.last_run.generated == 120 and backend.last_run.failures == 0


def test_every_request_recovers_from_its_first_two_server_errors(cache: ResponseCache) -> None:
    with LoopbackServer(Faults(fail_first=2, fail_status=503)) as server:
        results = OpenAICompatibleBackend(config_for(server), cache).generate(prompts(10))
        assert server.stats.requests == 30
    assert all(r.ok and r.attempts == 3 for r in results)


def test_retry_after_is_honoured(cache: ResponseCache) -> None:
    with LoopbackServer(Faults(fail_first=1, fail_status=429, retry_after_s=0.8)) as server:
        backend = OpenAICompatibleBackend(config_for(server, backoff_base_s=0.001), cache)
        started = time.perf_counter()
        [result] = backend.generate(prompts(1))
        elapsed = time.perf_counter() - started
    assert result.ok and result.attempts == 2
    # backoff alone would have waited at most a millisecond
    assert elapsed >= 0.8


def test_parse_retry_after_reads_milliseconds_seconds_and_dates() -> None:
    assert parse_retry_after({"retry-after-ms": "250"}) == 0.25
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({}) is None
    in_future = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 30))
    assert 25 < (parse_retry_after({"retry-after": in_future}) or 0) <= 30


def test_client_errors_fail_fast_with_the_servers_message(cache: ResponseCache) -> None:
    requests = [*prompts(3), ChatRequest(messages=(("user", "please REJECT_ME now"),))]
    with LoopbackServer(Faults()) as server:
        results = OpenAICompatibleBackend(config_for(server), cache).generate(requests)
        assert server.stats.by_prompt["please REJECT_ME now"] == 1
    rejected = results[-1]
    assert not rejected.ok and rejected.attempts == 1
    assert "HTTP 400" in (rejected.error or "") and "prompt refused" in (rejected.error or "")
    assert all(r.ok for r in results[:3])
    [failure] = cache.failures()
    assert failure.key == rejected.key and "prompt refused" in failure.error
    assert cache.get(rejected.key) is None


def test_timeouts_are_retried_then_recorded_without_losing_neighbours(
    cache: ResponseCache,
) -> None:
    hanging = ChatRequest(messages=(("user", "HANG_ME please"),))
    requests = [*prompts(5, "before"), hanging, *prompts(5, "after")]
    with LoopbackServer(Faults(hang_s=3.0)) as server:
        cfg = config_for(server, timeout_s=0.3, max_retries=2)
        results = OpenAICompatibleBackend(cfg, cache).generate(requests)
        assert server.stats.by_prompt["HANG_ME please"] == 3
    failed = results[5]
    assert not failed.ok and failed.attempts == 3 and "timed out" in (failed.error or "")
    assert all(r.ok for i, r in enumerate(results) if i != 5)
    assert [f.key for f in cache.failures()] == [failed.key]


@pytest.mark.parametrize(
    ("faults", "message"),
    [
        (Faults(p_malformed=1.0), "malformed reply"),
        (Faults(p_5xx=1.0), "HTTP 50"),
    ],
)
def test_persistent_faults_end_in_a_recorded_failure(
    cache: ResponseCache, faults: Faults, message: str
) -> None:
    with LoopbackServer(faults) as server:
        results = OpenAICompatibleBackend(config_for(server, max_retries=2), cache).generate(
            prompts(2)
        )
    assert all(not r.ok and r.attempts == 3 and message in (r.error or "") for r in results)
    assert len(cache.failures()) == 2 and len(cache) == 0


def test_a_server_that_drops_every_connection_stops_the_run(cache: ResponseCache) -> None:
    """No answer at all is a dead server, not a fault of each request: the run stops and
    records nothing as a failed request."""
    with LoopbackServer(Faults(p_drop=1.0)) as server:
        backend = OpenAICompatibleBackend(config_for(server, max_retries=2), cache)
        with pytest.raises(ServerUnavailable, match="connection error"):
            backend.generate(prompts(2))
    assert len(cache.failures()) == 0 and len(cache) == 0


def test_total_retry_time_is_bounded(cache: ResponseCache) -> None:
    with LoopbackServer(Faults(fail_first=1000, fail_status=503)) as server:
        cfg = config_for(server, max_retries=1000, backoff_base_s=0.1, max_retry_time_s=0.6)
        started = time.perf_counter()
        [result] = OpenAICompatibleBackend(cfg, cache).generate(prompts(1))
        elapsed = time.perf_counter() - started
    assert not result.ok and "max_retry_time_s" in (result.error or "")
    assert elapsed < 1.5


def test_window_stays_full_and_never_exceeds_max_concurrency(cache: ResponseCache) -> None:
    with LoopbackServer(Faults(latency_s=0.03, jitter_s=0.03)) as server:
        OpenAICompatibleBackend(config_for(server, max_concurrency=5), cache).generate(prompts(60))
        assert server.stats.max_in_flight == 5


def test_a_slow_request_does_not_hold_back_the_others(cache: ResponseCache) -> None:
    slow = ChatRequest(messages=(("user", "HANG_ME slowly"),))
    requests = [slow, *prompts(40)]
    with LoopbackServer(Faults(latency_s=0.01, hang_s=1.0)) as server:
        results = OpenAICompatibleBackend(config_for(server, max_concurrency=4), cache).generate(
            requests
        )
        order = list(server.stats.completion_order)
    assert all(r.ok for r in results)
    # batches that wait for their slowest member would finish the slow one before most others
    assert order[-1] == "HANG_ME slowly"


def test_requests_spread_over_several_base_urls(cache: ResponseCache) -> None:
    with (
        LoopbackServer(Faults(latency_s=0.02)) as first,
        LoopbackServer(Faults(latency_s=0.02)) as second,
    ):
        results = OpenAICompatibleBackend(config_for(first, second), cache).generate(prompts(40))
        counts = (first.stats.requests, second.stats.requests)
    assert all(r.ok for r in results)
    # least-loaded sends more to whichever server answers faster (on a busy machine one of
    # the two loopback threads often does), but never leaves one idle
    assert sum(counts) == 40 and min(counts) >= 8


def test_round_robin_alternates_base_urls_exactly(cache: ResponseCache) -> None:
    with LoopbackServer(Faults()) as first, LoopbackServer(Faults()) as second:
        cfg = config_for(first, second, balancing="round_robin")
        results = OpenAICompatibleBackend(cfg, cache).generate(prompts(40))
        counts = (first.stats.requests, second.stats.requests)
    assert all(r.ok for r in results)
    assert counts == (20, 20)


def test_requests_per_minute_limit_paces_the_run(cache: ResponseCache) -> None:
    with LoopbackServer(Faults()) as server:
        cfg = config_for(server, requests_per_minute=1200.0)  # 20 a second, bursts of 20
        started = time.perf_counter()
        results = OpenAICompatibleBackend(cfg, cache).generate(prompts(30))
        elapsed = time.perf_counter() - started
    assert all(r.ok for r in results)
    assert elapsed >= 0.45


def test_identical_rerun_makes_no_request_and_duplicates_share_one(
    cache: ResponseCache,
) -> None:
    requests = prompts(20)
    with LoopbackServer(Faults()) as server:
        backend = OpenAICompatibleBackend(config_for(server), cache)
        first = backend.generate([*requests, requests[0]])
        assert server.stats.requests == 20
        assert first[-1].text == first[0].text
        second = backend.generate(requests)
        assert server.stats.requests == 20
    assert all(r.cached for r in second) and backend.last_run.cache_hits == 20
    assert [r.text for r in second] == [r.text for r in first[:20]]


def test_n_samples_are_n_keys_with_distinct_seeds(cache: ResponseCache) -> None:
    samples = [ChatRequest(messages=(("user", "one prompt"),), sample_index=i) for i in range(5)]
    with LoopbackServer(Faults()) as server:
        results = OpenAICompatibleBackend(config_for(server), cache).generate(samples)
        assert server.stats.by_prompt["one prompt"] == 5
    assert len({r.key for r in results}) == 5
    assert len({r.text for r in results}) == 5


def test_structured_requests_send_response_format(cache: ResponseCache) -> None:
    schema = {"type": "object", "properties": {"text": {"type": "string"}}}
    requests = [
        ChatRequest(messages=(("user", "a joy sentence"),), metadata={"structured": True}),
        ChatRequest(messages=(("user", "a fear sentence"),), json_schema=schema),
    ]
    with LoopbackServer(Faults()) as server:
        cfg = config_for(server, structured=True, json_schema_supported=True)
        results = OpenAICompatibleBackend(cfg, cache).generate(requests)
        formats = dict(server.stats.response_formats)
    assert formats == {"json_object": 1, "json_schema": 1}
    parsed = [extract_json(r.text) for r in results]
    assert parsed[0] is not None and parsed[0]["emotions"] == ["joy"]
    assert parsed[1] is not None and parsed[1]["emotions"] == ["fear"]


def test_usage_and_estimated_cost_are_counted(cache: ResponseCache) -> None:
    with LoopbackServer(Faults()) as server:
        cfg = config_for(server, price_input_per_1m=2.0, price_output_per_1m=10.0)
        backend = OpenAICompatibleBackend(cfg, cache)
        results = backend.generate(prompts(4))
    stats = backend.last_run
    assert stats.prompt_tokens == sum(r.prompt_tokens for r in results) > 0
    assert stats.completion_tokens == sum(r.completion_tokens for r in results) > 0
    expected = (stats.prompt_tokens * 2.0 + stats.completion_tokens * 10.0) / 1e6
    assert stats.cost_usd == pytest.approx(expected)


def test_openai_api_without_a_key_is_refused_at_construction(
    monkeypatch: pytest.MonkeyPatch, cache: ResponseCache
) -> None:
    monkeypatch.delenv("EMOEXP_TEST_UNSET_KEY", raising=False)
    cfg = LLMConfig(backend="openai", model="gpt-4o-mini", api_key_env="EMOEXP_TEST_UNSET_KEY")
    with pytest.raises(RuntimeError, match="EMOEXP_TEST_UNSET_KEY"):
        OpenAICompatibleBackend(cfg, cache)


def test_generate_works_inside_a_running_event_loop(cache: ResponseCache) -> None:
    import asyncio

    with LoopbackServer(Faults()) as server:
        backend = OpenAICompatibleBackend(config_for(server), cache)

        async def inside() -> list[bool]:
            return [r.ok for r in backend.generate(prompts(3))]

        assert asyncio.run(inside()) == [True, True, True]


def test_token_bucket_paces_large_requests() -> None:
    import asyncio

    from emoexp.llm.ratelimit import TokenBucket

    async def spend() -> float:
        bucket = TokenBucket(per_minute=6000.0)  # 100 tokens a second, holds 100
        started = time.perf_counter()
        for _ in range(3):
            await bucket.acquire(50.0)  # 150 tokens: the last 50 wait half a second
        return time.perf_counter() - started

    assert 0.4 <= asyncio.run(spend()) < 1.0
    with pytest.raises(ValueError, match="positive"):
        TokenBucket(0.0)


def test_a_cache_that_cannot_store_stops_the_run_loudly(
    cache: ResponseCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(rows: object) -> None:
        raise OSError("database or disk is full")

    monkeypatch.setattr(cache, "put_many", disk_full)
    with LoopbackServer(Faults(latency_s=0.01)) as server:
        backend = OpenAICompatibleBackend(config_for(server), cache)
        with pytest.raises(OSError, match="disk is full"):
            backend.generate(prompts(20))
