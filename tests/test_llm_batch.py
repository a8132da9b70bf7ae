"""The Batch API backend against the loopback server over real HTTP: answers filed in the
response cache, reruns that submit nothing, a killed run resumed without submitting a
request twice, line errors, failed and expired batches, and bounded waiting."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from helpers.loopback_server import Faults, LoopbackServer

from emoexp.llm import batch_ledger
from emoexp.llm.batch import OpenAIBatchBackend, online_equivalent
from emoexp.llm.batch_ledger import BatchLedger
from emoexp.llm.cache import ResponseCache
from emoexp.llm.config import LLMConfig
from emoexp.llm.echo import echo_reply
from emoexp.llm.engine import OpenAICompatibleBackend
from emoexp.llm.factory import build_backend
from emoexp.llm.keys import derived_seed, request_key
from emoexp.llm.types import ChatRequest
from emoexp.paths import PROJECT_DIR

KEY_ENV = "EMOEXP_TEST_BATCH_KEY"
API_KEY = "sk-loopback-batch"


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, API_KEY)


def batch_config(server: LoopbackServer, **overrides: object) -> LLMConfig:
    values: dict[str, object] = {
        "backend": "openai_batch",
        "model": "loopback-echo",
        "base_url": [server.base_url],
        "api_key_env": KEY_ENV,
        "max_retries": 2,
        "timeout_s": 10.0,
        "backoff_base_s": 0.01,
        "backoff_max_s": 0.05,
        "batch_poll_s": 0.05,
        "batch_max_wait_s": 30.0,
        "progress": False,
    }
    values.update(overrides)
    return LLMConfig(**values)  # type: ignore[arg-type]


def prompts(count: int, prefix: str = "prompt") -> list[ChatRequest]:
    return [
        ChatRequest(messages=(("user", f"{prefix} {i}"),), template="t.v1") for i in range(count)
    ]


def faults(**values: object) -> Faults:
    return Faults(api_key=API_KEY, **values)  # type: ignore[arg-type]


def download(server: LoopbackServer, file_id: str) -> list[dict]:
    request = urllib.request.Request(
        f"{server.base_url}/files/{file_id}/content",
        headers={"Authorization": f"Bearer {API_KEY}"},
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        return [json.loads(line) for line in reply.read().decode().splitlines() if line]


def test_a_batch_run_fills_the_cache_and_a_rerun_submits_nothing(tmp_path: Path) -> None:
    requests = prompts(10)
    cache_path = tmp_path / "responses.sqlite"
    with LoopbackServer(faults(batch_delay_s=0.2)) as server:
        cfg = batch_config(server, batch_max_requests=4)
        backend = build_backend(cfg, cache_path)
        assert isinstance(backend, OpenAIBatchBackend)
        results = backend.generate(requests)
        assert backend.last_run.batches_submitted == 3
        assert server.stats.batches_created == 3
        assert sorted(server.stats.batch_submissions.values()) == [1] * 10
        assert server.stats.authorizations == {f"Bearer {API_KEY}"}

        # the input files: one line per request, keyed by the cache key, with the online body
        online = OpenAICompatibleBackend(online_equivalent(cfg), None)
        ledger = BatchLedger(cache_path)
        stored = ledger.all_batches()
        ledger.close()
        assert [batch.request_count for batch in stored] == [4, 4, 2]
        assert all(batch.status == "completed" and batch.collected_at for batch in stored)
        lines = [line for batch in stored for line in download(server, str(batch.input_file_id))]
        by_key = {line["custom_id"]: line for line in lines}
        for request in requests:
            key = request_key(online_equivalent(cfg), request)
            line = by_key[key]
            assert line["method"] == "POST" and line["url"] == "/v1/chat/completions"
            assert line["body"]["messages"] == [{"role": "user", "content": request.messages[0][1]}]
            assert line["body"]["seed"] == derived_seed(key)
            assert line["body"]["max_tokens"] == cfg.max_tokens
            assert line["body"]["model"] == "loopback-echo"
        assert online.cfg.backend == "openai"

        for request, result in zip(requests, results, strict=True):
            assert result.ok and not result.cached, result.error
            assert result.key == request_key(online_equivalent(cfg), request)
            assert result.text == echo_reply(request.messages, derived_seed(result.key), False)

        again = build_backend(cfg, cache_path).generate(requests)
        assert [r.text for r in again] == [r.text for r in results]
        assert all(r.cached for r in again)
        assert server.stats.batches_created == 3 and server.stats.files_uploaded == 3

        # the online engine finds the batch answers under its own keys
        online_cfg = batch_config(server, backend="openai", max_concurrency=4)
        online_results = build_backend(online_cfg, cache_path).generate(requests)
        assert all(r.cached for r in online_results)
        assert server.stats.requests == 0


def test_cached_and_uncached_requests_mix(tmp_path: Path) -> None:
    requests = prompts(8)
    with LoopbackServer(faults()) as server, ResponseCache(tmp_path / "c.sqlite") as cache:
        cfg = batch_config(server)
        key_cfg = online_equivalent(cfg)
        for request in requests[::2]:
            cache.put(
                request_key(key_cfg, request),
                backend="openai",
                model=cfg.model,
                request_json="{}",
                text=f"stored answer to {request.messages[0][1]}",
            )
        backend = OpenAIBatchBackend(cfg, cache)
        results = backend.generate(requests)
        submitted = set(server.stats.batch_submissions)
        stored = len(cache)
    assert stored == 8
    assert submitted == {request_key(key_cfg, r) for r in requests[1::2]}
    for index, result in enumerate(results):
        assert result.ok
        assert result.cached == (index % 2 == 0)
        if index % 2 == 0:
            assert result.text == f"stored answer to prompt {index}"
    assert backend.last_run.cache_hits == 4 and backend.last_run.generated == 4


def test_line_errors_are_recorded_failures_and_neighbours_are_answered(tmp_path: Path) -> None:
    bad = ChatRequest(messages=(("user", "please BATCH_LINE_ERROR here"),))
    requests = [*prompts(3), bad, *prompts(2, "after")]
    with LoopbackServer(faults()) as server, ResponseCache(tmp_path / "c.sqlite") as cache:
        backend = OpenAIBatchBackend(batch_config(server), cache)
        results = backend.generate(requests)
        failures = cache.failures()
        stored = cache.get(results[3].key)
    failed = results[3]
    assert not failed.ok and "prompt refused" in (failed.error or "")
    assert "HTTP 400" in (failed.error or "")
    assert all(r.ok for i, r in enumerate(results) if i != 3)
    [failure] = failures
    assert failure.key == failed.key and "prompt refused" in failure.error
    assert stored is None
    assert backend.last_run.failures == 1 and backend.last_run.generated == 5


WORKER = """
import sys
from pathlib import Path
from emoexp.llm.config import LLMConfig
from emoexp.llm.factory import build_backend
from emoexp.llm.types import ChatRequest

base_url, cache_path = sys.argv[1], sys.argv[2]
cfg = LLMConfig(backend="openai_batch", model="loopback-echo", base_url=[base_url],
                api_key_env="EMOEXP_TEST_BATCH_KEY", batch_poll_s=0.05, batch_max_requests=5,
                batch_max_wait_s=60.0, progress=False)
requests = [ChatRequest(messages=(("user", f"prompt {i}"),), template="t.v1") for i in range(12)]
results = build_backend(cfg, Path(cache_path)).generate(requests)
print(sum(r.ok for r in results), flush=True)
"""


def test_a_run_killed_while_polling_is_resumed_without_submitting_again(tmp_path: Path) -> None:
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    cache_path = tmp_path / "responses.sqlite"
    environment = {**os.environ, "PYTHONPATH": str(PROJECT_DIR), KEY_ENV: API_KEY}
    requests = prompts(12)
    with LoopbackServer(faults(batch_delay_s=2.0)) as server:
        worker = subprocess.Popen(
            [sys.executable, str(script), server.base_url, str(cache_path)], env=environment
        )
        deadline = time.monotonic() + 60
        # polling starts only once every batch was created and recorded
        while server.stats.batch_retrievals < 1:
            assert worker.poll() is None, "the worker finished before it could be killed"
            assert time.monotonic() < deadline, "the worker never started polling"
            time.sleep(0.01)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        assert server.stats.batches_created == 3

        with ResponseCache(cache_path) as cache:
            assert len(cache) == 0
            ledger = BatchLedger(cache_path)
            stored = ledger.all_batches()
            ledger.close()
            assert len(stored) == 3
            assert all(b.batch_id and b.collected_at is None for b in stored)
            backend = OpenAIBatchBackend(batch_config(server, batch_max_requests=5), cache)
            results = backend.generate(requests)
            assert len(cache) == 12
        assert all(r.ok for r in results), [r.error for r in results if not r.ok]
        assert backend.last_run.batches_submitted == 0
        assert backend.last_run.batches_resumed == 3
        assert server.stats.batches_created == 3
        assert sorted(server.stats.batch_submissions.values()) == [1] * 12


def test_a_lost_creation_reply_is_found_again_not_resubmitted(tmp_path: Path) -> None:
    requests = prompts(6)
    with (
        LoopbackServer(faults(batch_drop_create=1)) as server,
        ResponseCache(tmp_path / "c.sqlite") as cache,
    ):
        backend = OpenAIBatchBackend(batch_config(server), cache)
        results = backend.generate(requests)
        assert server.stats.batches_created == 1
        assert sorted(server.stats.batch_submissions.values()) == [1] * 6
    assert all(r.ok for r in results)
    assert backend.last_run.batches_submitted == 1


def dead_owner() -> str:
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    return f"{socket.gethostname()}:{finished.pid}"


@pytest.mark.parametrize("created_before_the_crash", [True, False])
def test_a_run_that_died_between_upload_and_record_is_recovered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, created_before_the_crash: bool
) -> None:
    requests = prompts(4)
    cache_path = tmp_path / "c.sqlite"
    with LoopbackServer(faults()) as server, ResponseCache(cache_path) as cache:
        cfg = batch_config(server)
        backend = OpenAIBatchBackend(cfg, cache)
        # what a run that died right after uploading (and maybe creating) leaves behind
        monkeypatch.setattr(batch_ledger, "this_owner", dead_owner)
        lines = [backend._line(p) for p in _pending(cfg, requests)]
        entries = [(json.loads(line)["custom_id"], "{}") for line in lines]
        row, taken = backend.ledger.reserve(backend.name, backend.model, entries)
        monkeypatch.undo()
        monkeypatch.setenv(KEY_ENV, API_KEY)
        assert len(taken) == 4
        uploaded = backend._client.files.create(
            file=("crash.jsonl", "".join(lines).encode(), "application/jsonl"), purpose="batch"
        )
        backend.ledger.file_uploaded(row, uploaded.id)
        if created_before_the_crash:
            backend._client.batches.create(
                input_file_id=uploaded.id,
                endpoint="/v1/chat/completions",
                completion_window="24h",
            )
        created_before = server.stats.batches_created

        results = OpenAIBatchBackend(cfg, cache).generate(requests)
        assert all(r.ok for r in results), [r.error for r in results]
        assert server.stats.batches_created == 1
        assert created_before == int(created_before_the_crash)
        assert sorted(server.stats.batch_submissions.values()) == [1] * 4
        assert server.stats.files_uploaded == 1


def test_an_interrupted_reservation_frees_its_requests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    requests = prompts(3)
    with LoopbackServer(faults()) as server, ResponseCache(tmp_path / "c.sqlite") as cache:
        cfg = batch_config(server)
        backend = OpenAIBatchBackend(cfg, cache)
        monkeypatch.setattr(batch_ledger, "this_owner", dead_owner)
        entries = [(p.key, p.identity) for p in _pending(cfg, requests)]
        backend.ledger.reserve(backend.name, backend.model, entries)
        monkeypatch.undo()
        monkeypatch.setenv(KEY_ENV, API_KEY)
        results = OpenAIBatchBackend(cfg, cache).generate(requests)
        assert all(r.ok for r in results)
        statuses = [b.status for b in backend.ledger.all_batches()]
        assert statuses == ["abandoned", "completed"]
        assert server.stats.batches_created == 1


def _pending(cfg: LLMConfig, requests: list[ChatRequest]) -> list:
    from emoexp.llm.base import PendingRequest
    from emoexp.llm.keys import identity_and_key, sampling_for

    key_cfg = online_equivalent(cfg)
    pending = []
    for request in requests:
        identity, key = identity_and_key(key_cfg, request)
        pending.append(PendingRequest(key, request, sampling_for(key_cfg, request, key), identity))
    return pending


def test_a_failed_batch_is_recorded_and_its_requests_may_go_again(tmp_path: Path) -> None:
    requests = [*prompts(2), ChatRequest(messages=(("user", "BATCH_FAIL this one"),))]
    with LoopbackServer(faults()) as server, ResponseCache(tmp_path / "c.sqlite") as cache:
        backend = OpenAIBatchBackend(batch_config(server), cache)
        results = backend.generate(requests)
        assert not any(r.ok for r in results)
        assert all("failed" in (r.error or "") and "BATCH_FAIL" in (r.error or "") for r in results)
        assert len(cache.failures()) == 3
        rerun = OpenAIBatchBackend(batch_config(server), cache)
        rerun.generate(requests)
        assert rerun.last_run.resubmitted == 3
        assert sorted(server.stats.batch_submissions.values()) == [2, 2, 2]


def test_an_expired_batch_keeps_its_answers_and_frees_the_rest(tmp_path: Path) -> None:
    late = ChatRequest(messages=(("user", "BATCH_EXPIRE too late"),))
    requests = [*prompts(3), late]
    with LoopbackServer(faults()) as server, ResponseCache(tmp_path / "c.sqlite") as cache:
        backend = OpenAIBatchBackend(batch_config(server), cache)
        results = backend.generate(requests)
        assert [r.ok for r in results] == [True, True, True, False]
        assert "batch_expired" in (results[3].error or "")
        assert backend.ledger.all_batches()[0].status == "expired"
        rerun = OpenAIBatchBackend(batch_config(server), cache)
        again = rerun.generate(requests)
        assert [r.cached for r in again] == [True, True, True, False]
        assert rerun.last_run.resubmitted == 1
        assert server.stats.batch_submissions[results[3].key] == 2


def test_waiting_is_bounded_and_a_rerun_collects_the_pending_batch(tmp_path: Path) -> None:
    requests = prompts(4)
    with (
        LoopbackServer(faults(batch_delay_s=1.0)) as server,
        ResponseCache(tmp_path / "c.sqlite") as cache,
    ):
        impatient = OpenAIBatchBackend(batch_config(server, batch_max_wait_s=0.2), cache)
        started = time.monotonic()
        results = impatient.generate(requests)
        assert time.monotonic() - started < 1.0
        [stored] = impatient.ledger.all_batches()
        assert all(r.error == f"batch pending: {stored.batch_id}" for r in results)
        assert impatient.last_run.pending == 4 and cache.failures() == []

        results = OpenAIBatchBackend(batch_config(server), cache).generate(requests)
        assert all(r.ok for r in results)
        assert server.stats.batches_created == 1
        assert sorted(server.stats.batch_submissions.values()) == [1] * 4


def test_the_batch_api_takes_a_single_base_url(tmp_path: Path) -> None:
    cfg = LLMConfig(
        backend="openai_batch",
        model="m",
        base_url=["http://127.0.0.1:9/v1", "http://127.0.0.1:10/v1"],
        api_key_env=KEY_ENV,
    )
    with ResponseCache(tmp_path / "c.sqlite") as cache, pytest.raises(ValueError, match="one"):
        OpenAIBatchBackend(cfg, cache)
