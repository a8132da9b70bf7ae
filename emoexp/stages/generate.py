"""Generate stage: a strategy turns prompts into synthetic rows through an LLM backend.

Every LLM response goes through the durable response cache shared by all runs, so the
artifact can be rebuilt without paying twice; the artifact itself saves reading the cache
back and re-parsing when nothing upstream changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets

from emoexp.cache.artifacts import ArtifactStore
from emoexp.cache.fingerprint import fingerprint, without
from emoexp.data.schema import rows_to_dataset
from emoexp.data.taxonomy import Taxonomy
from emoexp.explain import Keywords
from emoexp.generation import generate
from emoexp.generation.config import GenConfig
from emoexp.llm.config import LLMConfig
from emoexp.llm.factory import build_backend
from emoexp.stages.seed import SeedData

GENERATE_STAGE_VERSION = 1
# settings of how requests travel, not of what the model is asked or answers
TRANSPORT_ONLY = (
    "base_url", "api_key_env", "max_concurrency", "max_retries", "timeout_s", "max_retry_time_s",
    "backoff_base_s", "backoff_max_s", "requests_per_minute", "tokens_per_minute", "balancing",
    "price_input_per_1m", "price_output_per_1m", "progress", "cache_synchronous", "device",
    "model_cache_dir", "batch_size", "batch_max_requests", "batch_max_file_mb", "batch_poll_s",
    "batch_max_wait_s", "dry_run_output_tokens", "dry_run_latency_s", "server",
    "max_consecutive_failures",
)  # fmt: skip


@dataclass
class Generated:
    key: str
    accepted: datasets.Dataset
    rejected: datasets.Dataset
    stats: dict[str, Any]


def response_cache_path(store: ArtifactStore) -> Path:
    return store.root / "llm" / "responses.sqlite"


def generate_stage(
    gen_cfg: GenConfig,
    llm_cfg: LLMConfig,
    seed: SeedData,
    keywords: Keywords | None,
    keywords_key: str,
    taxonomy: Taxonomy,
    language: str,
    store: ArtifactStore,
) -> Generated:
    if gen_cfg.strategy == "none":
        empty = rows_to_dataset([])
        return Generated(key="none", accepted=empty, rejected=empty, stats={"strategy": "none"})
    llm_slice = without(llm_cfg, TRANSPORT_ONLY)
    key = fingerprint(
        "generate", GENERATE_STAGE_VERSION, gen_cfg, llm_slice, seed.key, keywords_key,
        taxonomy.name, language,
    )  # fmt: skip

    def build(out: Path) -> dict[str, Any]:
        backend = build_backend(llm_cfg, response_cache_path(store))
        output = generate(
            gen_cfg,
            backend,
            taxonomy,
            seed.train,
            keywords,
            out,
            structured=llm_cfg.structured,
            language=language,
        )
        return output.stats

    path, _ = store.get_or_build("generate", key, build, describe={"seed": seed.key})
    return Generated(
        key=key,
        accepted=datasets.load_from_disk(str(path / "synthetic")),
        rejected=_load_jsonl(path / "rejected.jsonl"),
        stats=store.summary("generate", key),
    )


def _load_jsonl(path: Path) -> datasets.Dataset:
    if not path.is_file() or path.stat().st_size == 0:
        return rows_to_dataset([])
    from emoexp.data.schema import FEATURES

    return datasets.Dataset.from_json(str(path), features=FEATURES)
