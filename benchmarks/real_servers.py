"""Every generation strategy through real OpenAI-compatible servers, with each server kind's
preset and its default structured settings: accepted share, requests and re-asks per sample,
cut-off replies, and rows the filters keep.

The servers are not part of emoexp: start them first (../shared/tools/peers/ serves the
embedded SmolLM2 with vLLM's CPU build on :8011 and llama.cpp on :8012), then

    OMP_WAIT_POLICY=PASSIVE PYTHONPATH=. python benchmarks/real_servers.py
    OMP_WAIT_POLICY=PASSIVE PYTHONPATH=. python benchmarks/real_servers.py --servers vllm \\
        --strategies naive,shap --samples-per-label 2

A server that is not listening is skipped. The goal: at least 90 % of samples accepted with
at most 1.2 requests per sample on every server.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from emoexp.cache.artifacts import ArtifactStore
from emoexp.config.schema import Config, register_configs
from emoexp.data.taxonomy import load_taxonomy
from emoexp.stages.explain import explain_seed_set
from emoexp.stages.filter import filter_stage
from emoexp.stages.generate import generate_stage
from emoexp.stages.seed import seed_stage

CONF_DIR = Path(__file__).resolve().parents[1] / "conf"
SERVERS = {
    "vllm": ("llm=vllm", "http://127.0.0.1:8011/v1"),
    "llama_cpp": ("llm=llama_cpp", "http://127.0.0.1:8012/v1"),
}
STRATEGIES = ("naive", "shap", "persona", "conversation", "multilingual")


def listening(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/models", timeout=3) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _example(row: dict[str, Any]) -> tuple[str, str]:
    """A rejected row's reason and the start of its raw reply."""
    provenance = row["provenance"]
    if isinstance(provenance, str):
        provenance = json.loads(provenance)
    return provenance.get("reason", ""), (provenance.get("raw_reply") or "")[:160]


def run_one(
    server: str, strategy: str, args: argparse.Namespace, cache_dir: Path, job_dir: Path
) -> dict[str, Any]:
    preset, base_url = SERVERS[server]
    overrides = [
        preset,
        f"gen={strategy}",
        "llm.model=smollm2",
        f"llm.base_url=[{base_url}]",
        "llm.progress=false",
        f"llm.max_concurrency={args.concurrency}",
        f"gen.samples_per_label={args.samples_per_label}",
        f"data.max_train_rows={args.seed_rows}",
        "data.max_eval_rows=100",
        f"paths.data_dir={os.environ.get('EMOEXP_DATA_DIR', 'data')}",
        f"paths.cache_dir={cache_dir}",
        *args.overrides,
    ]
    if strategy == "multilingual":
        overrides.append(f"gen.multilingual.languages=[{args.languages}]")
    register_configs()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        composed = compose(config_name="config", overrides=overrides)
    # typed, as pipeline.run hands the stages their settings (output_dir needs Hydra's runtime)
    composed.paths.output_dir = str(job_dir)
    cfg: Config = OmegaConf.to_object(composed)  # type: ignore[assignment]
    store = ArtifactStore(cfg.paths.cache_dir)
    taxonomy = load_taxonomy(cfg.taxonomy)
    seed = seed_stage(cfg.data, taxonomy, cfg.paths.data_dir, cfg.seed, store)
    keywords, keywords_key = None, ""
    if strategy == "shap":
        explained = explain_seed_set(cfg, seed, taxonomy, store, job_dir)
        keywords, keywords_key = explained.keywords, explained.key
    started = time.perf_counter()
    generated = generate_stage(
        cfg.gen, cfg.llm, seed, keywords, keywords_key, taxonomy, cfg.data.language, store
    )
    seconds = time.perf_counter() - started
    filtered = filter_stage(cfg.filter, cfg.llm, generated, seed, taxonomy, store, job_dir)
    stats = generated.stats
    accepted, rejected = len(generated.accepted), len(generated.rejected)
    samples = accepted + rejected
    requests, reasks = stats.get("requests", 0), stats.get("reasks", 0)
    # requests a run needs with no re-ask at all: one per sample for a post, one per stage
    # for persona, one per dialogue for whole JSON dialogues
    first_requests = requests - reasks
    return {
        "server": server,
        "strategy": strategy,
        "samples": samples,
        "accepted_share": round(accepted / samples, 3) if samples else None,
        "requests": stats.get("requests", 0),
        "requests_per_sample": round(stats.get("requests", 0) / samples, 2) if samples else None,
        "reasks": reasks,
        "reasks_per_sample": round(reasks / samples, 2) if samples else None,
        # the 1.2 goal for strategies that need several requests per sample (persona's
        # stages) or fewer (one request per dialogue): sends per needed request
        "sends_per_request": round(requests / first_requests, 2) if first_requests else None,
        "truncated": stats.get("truncated", 0),
        "truncation_reasks": stats.get("truncation_reasks", 0),
        "llm_errors": stats.get("llm_errors", 0),
        "kept_by_filters": len(filtered.kept),
        "rejections": stats.get("rejections", {}),
        "rejected_examples": [_example(row) for row in list(generated.rejected)[:4]],
        "failures": stats.get("failures", {}),
        "generate_s": round(seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", default=",".join(SERVERS))
    parser.add_argument("--strategies", default=",".join(STRATEGIES))
    parser.add_argument("--samples-per-label", type=int, default=1)
    parser.add_argument("--languages", default="en,de,sw")
    parser.add_argument("--seed-rows", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--cache-dir", default="", help="artifact cache (default: a temp dir)")
    parser.add_argument("--out", default="", help="write the rows as JSON lines here")
    parser.add_argument("overrides", nargs="*", help="more Hydra overrides")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    cache_dir = Path(args.cache_dir or tempfile.mkdtemp(prefix="emoexp-real-servers-"))
    rows = []
    for server in args.servers.split(","):
        base_url = SERVERS[server][1]
        if not listening(base_url):
            print(f"# {server}: nothing listening at {base_url}, skipped")
            continue
        for strategy in args.strategies.split(","):
            job_dir = cache_dir / "jobs" / server / strategy
            job_dir.mkdir(parents=True, exist_ok=True)
            try:
                row = run_one(server, strategy, args, cache_dir, job_dir)
            except Exception as error:  # one strategy's failure must not hide the others
                row = {"server": server, "strategy": strategy, "error": f"{error}"[:300]}
            rows.append(row)
            print(json.dumps(row), flush=True)
            if args.out:
                with open(args.out, "a", encoding="utf-8") as handle:
                    handle.write(json.dumps(row) + "\n")
    header = (
        "| server | gen | samples | accepted | requests/sample | sends/request | re-asks |"
        " cut off | errors | kept by filters | rejections |"
    )
    print("\n" + header + "\n|" + " --- |" * 11)
    for row in rows:
        if "error" in row:
            print(f"| {row['server']} | {row['strategy']} | error: {row['error'][:80]} |")
            continue
        print(
            f"| {row['server']} | {row['strategy']} | {row['samples']} |"
            f" {row['accepted_share']:.0%} | {row['requests_per_sample']} |"
            f" {row['sends_per_request']} | {row['reasks']} | {row['truncated']} |"
            f" {row['llm_errors']} | {row['kept_by_filters']} |"
            f" {', '.join(f'{k} {v}' for k, v in row['rejections'].items()) or '-'} |"
        )


if __name__ == "__main__":
    main()
