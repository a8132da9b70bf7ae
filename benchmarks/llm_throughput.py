"""Throughput of the request engine against a loopback server with a fixed latency.

Ideal throughput with W requests in flight and latency L is W / L requests a second; the
engine's share of it shows how well the window is kept full. The openai package's
AsyncOpenAI (default transport) runs the same window for comparison. A second part injects
429s and 5xx and reports the share of requests that still failed after retries.

    OMP_WAIT_POLICY=PASSIVE python benchmarks/llm_throughput.py
    OMP_WAIT_POLICY=PASSIVE python benchmarks/llm_throughput.py --concurrency 64 --skip-openai

The server runs as its own process so the client's CPU time is the client's alone.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from pathlib import Path

from loopback import Faults, LoopbackServerProcess

from emoexp.llm.cache import ResponseCache
from emoexp.llm.config import LLMConfig
from emoexp.llm.engine import OpenAICompatibleBackend
from emoexp.llm.types import ChatRequest


def requests_for(count: int, tag: str) -> list[ChatRequest]:
    return [ChatRequest(messages=(("user", f"{tag} request {i} about joy"),)) for i in range(count)]


def engine_config(base_url: str, concurrency: int, **overrides: object) -> LLMConfig:
    values: dict[str, object] = {
        "backend": "openai",
        "model": "loopback-echo",
        "base_url": [base_url],
        "api_key_env": "EMOEXP_BENCH_UNSET_KEY",
        "max_concurrency": concurrency,
        "timeout_s": 30.0,
        "progress": False,
    }
    values.update(overrides)
    return LLMConfig(**values)  # type: ignore[arg-type]


def run_engine(
    base_url: str, concurrency: int, count: int, tag: str, **overrides: object
) -> tuple[float, float, int, OpenAICompatibleBackend]:
    """Wall seconds, client CPU seconds, failures; through the real cache (a fresh file)."""
    with (
        tempfile.TemporaryDirectory() as folder,
        ResponseCache(Path(folder) / "bench.sqlite") as cache,
    ):
        backend = OpenAICompatibleBackend(engine_config(base_url, concurrency, **overrides), cache)
        requests = requests_for(count, tag)
        cpu, wall = time.process_time(), time.perf_counter()
        results = backend.generate(requests)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return wall, cpu, sum(not r.ok for r in results), backend


async def openai_window(
    base_url: str, concurrency: int, count: int, tag: str, max_retries: int
) -> tuple[float, float, int]:
    from openai import AsyncOpenAI

    client = AsyncOpenAI(base_url=base_url, api_key="not-a-key", max_retries=max_retries)
    pending = iter(requests_for(count, tag))
    failures = 0

    async def worker() -> None:
        nonlocal failures
        for request in pending:
            try:
                await client.chat.completions.create(
                    model="loopback-echo",
                    messages=[{"role": r, "content": c} for r, c in request.messages],  # type: ignore[misc]
                    temperature=0.9,
                    max_tokens=60,
                )
            except Exception:
                failures += 1

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    await client.close()
    return wall, cpu, failures


def report(
    name: str, concurrency: int, latency: float, count: int, wall: float, cpu: float, failures: int
) -> None:
    ideal = concurrency / latency
    achieved = count / wall
    print(
        f"{name:<22} in_flight={concurrency:<4} {achieved:8.1f} req/s of ideal {ideal:7.1f}"
        f" = {achieved / ideal:6.1%}   client CPU {cpu / count * 1e6:6.0f} us/req"
        f"   failed {failures}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--rounds", type=int, default=20, help="requests per slot of the window")
    parser.add_argument("--skip-openai", action="store_true")
    parser.add_argument("--fault-requests", type=int, default=3000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)

    print(f"== throughput, loopback latency {args.latency * 1000:.0f} ms ==")
    with LoopbackServerProcess(Faults(latency_s=args.latency)) as server:
        for concurrency in args.concurrency:
            count = concurrency * args.rounds
            # one short warm-up opens the connections the way a long run would have them
            run_engine(server.base_url, concurrency, concurrency, f"warm{concurrency}")
            server.reset()
            wall, cpu, failures, _ = run_engine(
                server.base_url, concurrency, count, f"engine{concurrency}"
            )
            report("emoexp engine (aiohttp)", concurrency, args.latency, count, wall, cpu, failures)
            peak = server.stats()["max_in_flight"]
            print(f"{'':22} server saw at most {peak} requests in flight")
            if not args.skip_openai:
                wall, cpu, failures = asyncio.run(
                    openai_window(server.base_url, concurrency, count, f"openai{concurrency}", 0)
                )
                report("openai.AsyncOpenAI", concurrency, args.latency, count, wall, cpu, failures)

    count = args.fault_requests
    print(f"\n== {count} requests with 30% 429 (Retry-After 0.2 s) and 5% 5xx injected ==")
    faults = Faults(latency_s=0.02, p_429=0.30, p_5xx=0.05, retry_after_s=0.2, seed=1)
    with LoopbackServerProcess(faults) as server:
        wall, _, failures, backend = run_engine(
            server.base_url, 64, count, "faults", backoff_base_s=0.1, backoff_max_s=5.0
        )
        stats = server.stats()
        print(
            f"emoexp engine ({backend.cfg.max_retries} retries): {failures} of {count} failed"
            f" = {failures / count:.3%}"
            f" after {backend.last_run.retries} retries; server answered"
            f" {stats['statuses']} in {wall:.1f} s"
        )
        if not args.skip_openai:
            _, _, failures = asyncio.run(openai_window(server.base_url, 64, count, "faults-oa", 2))
            print(
                f"openai.AsyncOpenAI (default 2 retries): {failures} of {count} failed"
                f" = {failures / count:.3%}"
            )


if __name__ == "__main__":
    main()
