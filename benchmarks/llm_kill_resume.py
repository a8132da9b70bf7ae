"""Kill -9 a 1,000-request generation at random points, rerun it, and count answers that
were paid for twice.

Each trial starts a fresh cache, runs the generation in a child process against a loopback
server (which counts what it answered, per prompt), kills the child with SIGKILL once a
random share of the replies has gone out, then reruns to completion. An answer the server
completed before the kill and was asked for again on the rerun was either lost by the cache
(a bug) or still in flight inside the client when it died (allowed: at most the window).

    OMP_WAIT_POLICY=PASSIVE python benchmarks/llm_kill_resume.py
    OMP_WAIT_POLICY=PASSIVE python benchmarks/llm_kill_resume.py --trials 10 --requests 1000
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from loopback import Faults, LoopbackServer

from emoexp.llm.cache import ResponseCache
from emoexp.llm.config import LLMConfig
from emoexp.llm.keys import request_key
from emoexp.llm.types import ChatRequest


def config(base_url: str, concurrency: int) -> LLMConfig:
    return LLMConfig(
        backend="openai",
        model="loopback-echo",
        base_url=[base_url],
        api_key_env="EMOEXP_BENCH_UNSET_KEY",
        max_concurrency=concurrency,
        backoff_base_s=0.02,
        progress=False,
    )


def requests_for(count: int) -> list[ChatRequest]:
    return [ChatRequest(messages=(("user", f"kill-resume prompt {i}"),)) for i in range(count)]


def worker(base_url: str, cache_path: str, count: int, concurrency: int) -> None:
    """The generation the parent kills: one ordinary run through the factory."""
    from emoexp.llm.factory import build_backend

    backend = build_backend(config(base_url, concurrency), Path(cache_path))
    results = backend.generate(requests_for(count))
    print(sum(r.ok for r in results), flush=True)


def trial(server: LoopbackServer, count: int, concurrency: int, kill_share: float) -> dict:
    server.reset()
    with tempfile.TemporaryDirectory() as folder:
        cache_path = Path(folder) / "responses.sqlite"
        command = [
            sys.executable,
            __file__,
            "--worker",
            server.base_url,
            str(cache_path),
            str(count),
            str(concurrency),
        ]
        child = subprocess.Popen(command)
        target = int(count * kill_share)
        deadline = time.monotonic() + 120
        while server.stats.completed < target:
            if child.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the worker ended before the kill point")
            time.sleep(0.001)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        in_flight_at_server = server.stats.in_flight
        first_requests = dict(server.stats.by_prompt)
        first_completed = dict(server.stats.completed_by_prompt)
        with ResponseCache(cache_path) as cache:
            stored = set(cache.keys())

        rerun = subprocess.run(command, capture_output=True, text=True, check=True)
        finished = int(rerun.stdout.strip())
        second_requests = dict(server.stats.by_prompt)
        with ResponseCache(cache_path) as cache:
            total_stored = len(cache)

    cfg = config(server.base_url, concurrency)
    stored_asked_again = 0
    unstored_asked_again = 0
    for request in requests_for(count):
        prompt = request.messages[-1][1]
        again = second_requests.get(prompt, 0) - first_requests.get(prompt, 0)
        if again <= 0:
            continue
        if request_key(cfg, request) in stored:
            stored_asked_again += 1
        elif first_completed.get(prompt):
            unstored_asked_again += 1
    return {
        "kill_at": target,
        "stored_before_kill": len(stored),
        "in_flight_at_server": in_flight_at_server,
        "stored_asked_again": stored_asked_again,
        "answered_unstored_asked_again": unstored_asked_again,
        "finished": finished,
        "stored_after": total_stored,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worker", nargs=4, metavar=("URL", "CACHE", "COUNT", "CONCURRENCY"))
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.worker:
        url, cache_path, count, concurrency = args.worker
        worker(url, cache_path, int(count), int(concurrency))
        return

    chooser = random.Random(args.seed)
    faults = Faults(latency_s=args.latency, jitter_s=args.latency, p_429=0.05, retry_after_s=0.02)
    print(
        f"{args.trials} trials: {args.requests} requests, {args.concurrency} in flight,"
        f" {args.latency * 1000:.0f}-{2 * args.latency * 1000:.0f} ms latency, 5% 429"
    )
    header = (
        "kill_at",
        "stored_before_kill",
        "in_flight_at_server",
        "stored_asked_again",
        "answered_unstored_asked_again",
        "finished",
        "stored_after",
    )
    print("  ".join(header))
    worst = 0
    with LoopbackServer(faults) as server:
        for _ in range(args.trials):
            row = trial(server, args.requests, args.concurrency, chooser.uniform(0.1, 0.9))
            print("  ".join(f"{row[name]:>{len(name)}}" for name in header), flush=True)
            if row["stored_asked_again"]:
                worst = max(worst, row["stored_asked_again"])
            assert row["finished"] == args.requests == row["stored_after"]
    verdict = "none" if worst == 0 else f"up to {worst}"
    print(f"stored answers requested again after a kill: {verdict} (target: none)")


if __name__ == "__main__":
    main()
