"""Analyze stage: linguistic, diversity and realism measures of the kept synthetic rows
against the real seed rows, and optionally an LLM judge's human-likeness score of both."""

from __future__ import annotations

from typing import Any

import datasets

from emoexp.analysis.compare import analyze
from emoexp.analysis.judge import judge_backend_config
from emoexp.cache.artifacts import ArtifactStore
from emoexp.config.schema import Config
from emoexp.llm.factory import build_backend
from emoexp.stages.generate import response_cache_path


def analyze_stage(
    cfg: Config, real: datasets.Dataset, kept: datasets.Dataset, store: ArtifactStore
) -> dict[str, Any] | None:
    """The measures, or None when there are no kept rows or `eval.analysis.enabled` is off.
    The judge shares the generation's response cache, so a rerun pays for nothing twice."""
    if not len(kept) or not cfg.eval.analysis.enabled:
        return None
    judge, judge_is_generator = None, False
    if cfg.eval.analysis.judge_samples > 0:
        judge_cfg, judge_is_generator = judge_backend_config(cfg.llm, cfg.eval.analysis.judge_llm)
        judge = build_backend(judge_cfg, response_cache_path(store))
    analysis = analyze(real, kept, cfg.eval.analysis, judge)
    if "judge" in analysis:
        analysis["judge"]["judge_is_generator"] = judge_is_generator
    return analysis
