"""The generate stage against a faulty loopback server, then a healthy one: how many samples
went missing, whether anything was stored as finished, and how many requests the healthy
rerun re-sent (it must be exactly the missing ones).

    OMP_WAIT_POLICY=PASSIVE python benchmarks/generation_faults.py
    OMP_WAIT_POLICY=PASSIVE python benchmarks/generation_faults.py --samples-per-label 50
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import datasets
from loopback import Faults, LoopbackServer

from emoexp.cache.artifacts import ArtifactStore
from emoexp.data.schema import Row, rows_to_dataset
from emoexp.data.taxonomy import load_taxonomy
from emoexp.generation.completeness import IncompleteGenerationError
from emoexp.generation.config import GenConfig
from emoexp.llm.config import LLMConfig
from emoexp.llm.engine import ServerUnavailable
from emoexp.stages.generate import generate_stage
from emoexp.stages.seed import SeedData

TAXONOMY = load_taxonomy("emo11")


def seed_data() -> SeedData:
    rows = [
        Row(id=f"r{i}", text=f"a sentence about {label}", labels=[label],
            multi_hot=list(TAXONOMY.multi_hot([label])), taxonomy="emo11")
        for i, label in enumerate(TAXONOMY.labels)
    ]  # fmt: skip
    ds = rows_to_dataset(rows)
    return SeedData(key="bench-seed", train=ds, validation=ds, test=ds, summary={})


def llm(url: str, retries: int, timeout_s: float) -> LLMConfig:
    return LLMConfig(
        backend="openai", provider="compatible", model="loopback-echo", base_url=[url],
        api_key_env="EMOEXP_BENCH_UNSET_KEY", max_concurrency=32, max_retries=retries,
        timeout_s=timeout_s, backoff_base_s=0.01, backoff_max_s=0.05, progress=False,
    )  # fmt: skip


def attempt(store: ArtifactStore, cfg: GenConfig, llm_cfg: LLMConfig) -> tuple[str, float]:
    started = time.perf_counter()
    try:
        generated = generate_stage(cfg, llm_cfg, seed_data(), None, "", TAXONOMY, "en", store)
        outcome = (
            f"stored {generated.stats['accepted']} samples, missing {generated.stats['missing']}"
        )
    except IncompleteGenerationError as error:
        outcome = f"FAILED, nothing stored: {error.report.describe()[:110]}"
    except ServerUnavailable as error:
        outcome = f"STOPPED, nothing stored: {str(error)[:110]}"
    return outcome, time.perf_counter() - started


def scenario(name: str, faults: Faults | None, retries: int, samples: int) -> None:
    cfg = GenConfig(strategy="naive", samples_per_label=samples)
    with tempfile.TemporaryDirectory() as tmp:
        store = ArtifactStore(Path(tmp))
        if faults is None:  # a server that is down: a port nobody listens on
            with LoopbackServer(Faults()) as server:
                url = server.base_url
            outcome, seconds = attempt(store, cfg, llm(url, retries, 2.0))
            first_requests = 0
        else:
            with LoopbackServer(faults) as server:
                outcome, seconds = attempt(store, cfg, llm(server.base_url, retries, 2.0))
                first_requests = server.stats.requests
        print(f"{name}: {first_requests} requests, {seconds:.1f} s -> {outcome}")
        with LoopbackServer(Faults()) as healthy:
            outcome, seconds = attempt(store, cfg, llm(healthy.base_url, retries, 2.0))
            print(f"  healthy rerun: {healthy.stats.requests} requests re-sent -> {outcome}")
        with LoopbackServer(Faults()) as again:
            attempt(store, cfg, llm(again.base_url, retries, 2.0))
            print(f"  third run: {again.stats.requests} requests")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples-per-label", type=int, default=10)
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    datasets.disable_progress_bars()
    n = args.samples_per_label
    planned = n * len(TAXONOMY.labels)
    print(f"{planned} planned samples per run (naive strategy, {n} per label)")
    scenario("40 % 5xx, no retries", Faults(p_5xx=0.4, seed=1), 0, n)
    scenario("35 % 429/5xx, 8 retries", replace(Faults(p_429=0.3, p_5xx=0.05, seed=2),
             retry_after_s=0.01), 8, n)  # fmt: skip
    scenario("server down, 8 retries", None, 8, n)
    scenario("401 on every request", Faults(api_key="expected-key"), 8, n)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
