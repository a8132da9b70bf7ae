"""Filter stage: score synthetic rows once, then decide by thresholds.

Scores are cached under a key that leaves the thresholds out, so a sweep over
`filter.label_consistency.threshold` (or any other threshold) scores once and only re-decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets

from emoexp.cache.artifacts import ArtifactStore
from emoexp.cache.fingerprint import fingerprint
from emoexp.data.taxonomy import Taxonomy
from emoexp.filters import (
    FilterContext,
    FilterScores,
    decide,
    score_rows,
    scoring_key,
    write_filter_report,
)
from emoexp.filters.config import FilterConfig
from emoexp.llm.config import LLMConfig
from emoexp.llm.factory import build_backend
from emoexp.stages.generate import Generated, response_cache_path
from emoexp.stages.seed import SeedData

FILTER_STAGE_VERSION = 1


@dataclass
class Filtered:
    key: str
    kept: datasets.Dataset
    rejected: datasets.Dataset
    report: dict[str, Any]


def filter_stage(
    cfg: FilterConfig,
    llm_cfg: LLMConfig,
    generated: Generated,
    seed: SeedData,
    taxonomy: Taxonomy,
    store: ArtifactStore,
    job_dir: Path,
) -> Filtered:
    if len(generated.accepted) == 0 or not cfg.enabled:
        report = {"enabled": bool(cfg.enabled), "input_rows": len(generated.accepted)}
        return Filtered(generated.key, generated.accepted, generated.accepted.select([]), report)
    scores_key = fingerprint("filter-scores", scoring_key(cfg), generated.key, seed.key)

    def build_scores(out: Path) -> dict[str, Any]:
        context = FilterContext(
            taxonomy=taxonomy,
            seed=seed.train,
            reference={"validation": seed.validation, "test": seed.test},
            # the LLM judge asks through the same backend and response cache as generation
            backend=(
                build_backend(llm_cfg, response_cache_path(store)) if cfg.judge.enabled else None
            ),
        )
        scores = score_rows(cfg, generated.accepted, context)
        scores.save(out)
        return {"seconds": scores.seconds}

    scores_path, _ = store.get_or_build("filter_scores", scores_key, build_scores)
    scores = FilterScores.load(scores_path)
    output = decide(cfg, generated.accepted, scores)
    write_filter_report(output.report, job_dir)
    key = fingerprint("filter", FILTER_STAGE_VERSION, cfg, generated.key, seed.key)
    return Filtered(key=key, kept=output.kept, rejected=output.rejected, report=output.report)
