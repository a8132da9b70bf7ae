"""Synthetic against real, side by side: every measure computed on both, plus the deltas."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

import datasets
import numpy as np

from emoexp.analysis.config import AnalysisConfig
from emoexp.analysis.diversity import diversity_report
from emoexp.analysis.embeddings import build_embedder, embed_pair
from emoexp.analysis.judge import judge_human_likeness
from emoexp.analysis.linguistic import linguistic_report
from emoexp.analysis.realism import realism_report
from emoexp.llm.types import LLMBackend


def _sample(ds: datasets.Dataset, n: int, seed: int) -> datasets.Dataset:
    if n <= 0 or len(ds) <= n:
        return ds
    return ds.shuffle(seed=seed).select(range(n))


def label_distribution(labels: Sequence[Sequence[str]]) -> dict[str, float]:
    """Share of rows carrying each label (multi-label rows count once per label)."""
    counts = Counter(label for row in labels for label in row)
    return {label: counts[label] / len(labels) for label in sorted(counts)} if labels else {}


def deltas(real: dict[str, Any], synthetic: dict[str, Any]) -> dict[str, float]:
    """synthetic - real for every number both sides report."""
    return {
        key: float(synthetic[key]) - float(real[key])
        for key in real
        if key in synthetic and isinstance(real[key], int | float)
    }


def analyze(
    real: datasets.Dataset,
    synthetic: datasets.Dataset,
    cfg: AnalysisConfig,
    backend: LLMBackend | None = None,
) -> dict[str, Any]:
    """Every analysis family on a sample of each side; JSON-ready.

    The embedding-based families need a few rows per side and are reported as skipped, with
    the reason, when a side has fewer.
    """
    started = time.perf_counter()
    real_rows = _sample(real, cfg.max_rows, cfg.seed)
    synth_rows = _sample(synthetic, cfg.max_rows, cfg.seed)
    result: dict[str, Any] = {
        "rows": {
            "real": len(real),
            "synthetic": len(synthetic),
            "real_analysed": len(real_rows),
            "synthetic_analysed": len(synth_rows),
        },
        "label_distribution": {
            "real": label_distribution(real_rows["labels"]),
            "synthetic": label_distribution(synth_rows["labels"]),
        },
    }
    ling_real = linguistic_report(real_rows["text"], real_rows["labels"], real_rows["language"])
    ling_synth = linguistic_report(synth_rows["text"], synth_rows["labels"], synth_rows["language"])
    result["linguistic"] = {
        "real": ling_real,
        "synthetic": ling_synth,
        "delta": deltas(ling_real["overall"], ling_synth["overall"]),
    }
    if min(len(real_rows), len(synth_rows)) < 4:
        reason = (
            f"needs at least 4 rows per side; got {len(real_rows)} real, "
            f"{len(synth_rows)} synthetic"
        )
        result["diversity"] = {"skipped": reason}
        result["realism"] = {"skipped": reason}
    else:
        embedder = build_embedder(cfg.embedder, cfg.embedding_dim, cfg.seed)
        emb_real, emb_synth = embed_pair(embedder, real_rows["text"], synth_rows["text"])
        result["embedder"] = embedder.name
        div_options = {
            "self_bleu_samples": cfg.self_bleu_samples,
            "n_clusters": cfg.n_clusters,
            "seed": cfg.seed,
        }
        div_real = diversity_report(real_rows["text"], emb_real, **div_options)
        div_synth = diversity_report(synth_rows["text"], emb_synth, **div_options)
        result["diversity"] = {
            "real": div_real,
            "synthetic": div_synth,
            "delta": deltas(div_real, div_synth),
        }
        result["realism"] = realism_report(
            emb_real,
            emb_synth,
            mauve_buckets=cfg.mauve_buckets,
            folds=cfg.two_sample_folds,
            seed=cfg.seed,
        )
    if cfg.judge_samples > 0:
        if backend is None:
            raise ValueError("analysis.judge_samples > 0 needs an LLM backend for the judge")
        rng = np.random.default_rng(cfg.seed)

        def pick(texts: list[str]) -> list[str]:
            take = min(cfg.judge_samples, len(texts))
            return [texts[i] for i in rng.choice(len(texts), take, replace=False)]

        real_scores = judge_human_likeness(backend, pick(real_rows["text"]))
        synthetic_scores = judge_human_likeness(backend, pick(synth_rows["text"]))
        result["judge"] = {
            "real": real_scores,
            "synthetic": synthetic_scores,
            # how this judge rates text people wrote: read the synthetic score against it
            "calibration": {
                "real_mean_score": real_scores["mean_score"],
                "real_scored": real_scores["scored"],
            },
            "synthetic_minus_real": synthetic_scores["mean_score"] - real_scores["mean_score"],
        }
    result["seconds"] = round(time.perf_counter() - started, 3)
    return result
