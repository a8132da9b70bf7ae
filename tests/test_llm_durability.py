"""Kill -9 in the middle of a run: every response stored before the kill is served from the
cache on the rerun; only requests that were in flight at the kill are asked again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from helpers.loopback_server import Faults, LoopbackServer

from emoexp.llm.cache import ResponseCache
from emoexp.llm.config import LLMConfig
from emoexp.llm.keys import request_key
from emoexp.llm.types import ChatRequest
from emoexp.paths import PROJECT_DIR

COUNT = 300
CONCURRENCY = 8

WORKER = """
import sys
from pathlib import Path
from emoexp.llm.config import LLMConfig
from emoexp.llm.factory import build_backend
from emoexp.llm.types import ChatRequest

base_url, cache_path = sys.argv[1], sys.argv[2]
count, concurrency = int(sys.argv[3]), int(sys.argv[4])
cfg = LLMConfig(backend="openai", model="loopback-echo", base_url=[base_url],
                api_key_env="EMOEXP_TEST_UNSET_KEY", max_concurrency=concurrency,
                backoff_base_s=0.01, progress=False)
requests = [ChatRequest(messages=(("user", f"prompt {i}"),)) for i in range(count)]
results = build_backend(cfg, Path(cache_path)).generate(requests)
print(sum(r.ok for r in results), flush=True)
"""


def config(base_url: str) -> LLMConfig:
    return LLMConfig(
        backend="openai",
        model="loopback-echo",
        base_url=[base_url],
        api_key_env="EMOEXP_TEST_UNSET_KEY",
        max_concurrency=CONCURRENCY,
    )


def test_kill_9_mid_run_loses_only_what_was_in_flight(tmp_path: Path) -> None:
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    cache_path = tmp_path / "responses.sqlite"
    environment = {**os.environ, "PYTHONPATH": str(PROJECT_DIR)}
    requests = [ChatRequest(messages=(("user", f"prompt {i}"),)) for i in range(COUNT)]

    with LoopbackServer(
        Faults(latency_s=0.02, jitter_s=0.02, p_429=0.1, retry_after_s=0.01)
    ) as server:
        arguments = [str(script), server.base_url, str(cache_path), str(COUNT), str(CONCURRENCY)]
        worker = subprocess.Popen([sys.executable, *arguments], env=environment)
        deadline = time.monotonic() + 60
        while server.stats.completed < COUNT // 3:
            assert worker.poll() is None, "the worker finished before it could be killed"
            assert time.monotonic() < deadline, "the worker made no progress"
            time.sleep(0.005)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        first_run = dict(server.stats.by_prompt)
        completed_first = dict(server.stats.completed_by_prompt)

        cfg = config(server.base_url)
        with ResponseCache(cache_path) as cache:
            stored_keys = set(cache.keys())
        assert COUNT // 4 < len(stored_keys) < COUNT

        rerun = subprocess.run(
            [sys.executable, *arguments], env=environment, capture_output=True, text=True
        )
        assert rerun.returncode == 0, rerun.stderr
        assert rerun.stdout.strip() == str(COUNT)
        second_run = dict(server.stats.by_prompt)

    asked_again = set()
    for request in requests:
        prompt = request.messages[-1][1]
        again = second_run.get(prompt, 0) - first_run.get(prompt, 0)
        if request_key(cfg, request) in stored_keys:
            assert again == 0, f"{prompt} was stored before the kill yet requested again"
        elif completed_first.get(prompt):
            asked_again.add(prompt)
    # answered by the server but not yet stored when the process died: in flight at the kill
    assert len(asked_again) <= CONCURRENCY
    with ResponseCache(cache_path) as cache:
        assert len(cache) == COUNT
