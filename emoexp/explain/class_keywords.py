"""Class keywords from SHAP values: which words push real seed texts towards each emotion
class, ranked for the generation prompts."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import datasets
import numpy as np

from emoexp.data.columns import column
from emoexp.explain.config import ExplainConfig, plain_config
from emoexp.explain.keywords import Keywords, save_keywords
from emoexp.explain.linear_shap import rank_keywords
from emoexp.explain.overlap import jaccard, overlap_at_k
from emoexp.explain.partition_shap import TextClassifier, partition_keywords
from emoexp.explain.plots import plot_class_keywords
from emoexp.explain.surrogate import Surrogate, fit_surrogate, label_matrix, stop_word_list

METHODS = ("surrogate", "partition")
SURROGATE_SCORE = "mean SHAP (log-odds) over the class's seed texts"
PARTITION_SCORE = "mean Partition SHAP (probability) over sampled class texts"


def fit_seed_surrogate(
    seed: datasets.Dataset, labels: tuple[str, ...], cfg: ExplainConfig
) -> Surrogate:
    """The surrogate fitted on a seed Dataset's `text` and `labels` columns."""
    targets = label_matrix(column(seed, "labels"), labels)
    return fit_surrogate(column(seed, "text"), targets, labels, cfg.surrogate, cfg.min_df)


def sample_class_texts(
    texts: list[str], targets: np.ndarray, per_class: int, seed: int
) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    sampled = []
    for class_index in range(targets.shape[1]):
        members = np.flatnonzero(targets[:, class_index])
        chosen = rng.choice(members, size=min(per_class, members.size), replace=False)
        sampled.append([texts[i] for i in sorted(chosen)])
    return sampled


def explain_keywords(
    seed: datasets.Dataset,
    taxonomy: Any,
    cfg: ExplainConfig,
    out_dir: Path,
    *,
    classifier: TextClassifier | None = None,
) -> Keywords:
    """Rank keywords per class on the real seed set; write keywords.json and plots.

    `taxonomy` needs `.name` and `.labels`. With method=partition, `classifier` (anything
    with predict_proba(list[str]) -> [n, num_labels]) is explained as well and its keywords
    become the result; the surrogate's are kept beside them with the per-class overlap.
    """
    if cfg.method not in METHODS:
        raise ValueError(f"explain.method must be one of {METHODS}, got {cfg.method!r}")
    if cfg.method == "partition" and classifier is None:
        raise ValueError("explain.method=partition needs a fine-tuned classifier= to explain")
    labels = tuple(taxonomy.labels)
    out_dir = Path(out_dir)
    texts = column(seed, "text")
    targets = label_matrix(column(seed, "labels"), labels)

    started = time.perf_counter()
    surrogate = fit_surrogate(texts, targets, labels, cfg.surrogate, cfg.min_df)
    fitted_at = time.perf_counter()
    matrix = surrogate.transform(texts)
    surrogate_ranked = rank_keywords(surrogate, matrix, targets, cfg.top_k)
    explained_at = time.perf_counter()

    n_examples = {
        label: int(count) for label, count in zip(labels, targets.sum(axis=0), strict=True)
    }
    metadata: dict[str, Any] = {
        "seed_rows": len(texts),
        "vocabulary_size": int(matrix.shape[1]),
        "min_df_used": surrogate.min_df,
        "classes_without_seed_examples": [label for label in labels if n_examples[label] == 0],
        "fit_seconds": round(fitted_at - started, 4),
        "explain_seconds": round(explained_at - fitted_at, 4),
        "config": plain_config(cfg),
    }
    ranked = surrogate_ranked
    score_name = SURROGATE_SCORE
    if cfg.method == "partition":
        assert classifier is not None
        class_texts = sample_class_texts(texts, targets, cfg.partition.texts_per_class, cfg.seed)
        partition_started = time.perf_counter()
        ranked, partition_info = partition_keywords(
            classifier,
            class_texts,
            len(labels),
            cfg.partition,
            cfg.top_k,
            set(stop_word_list(cfg.surrogate) or []),
        )
        partition_info["seconds"] = round(time.perf_counter() - partition_started, 4)
        metadata["partition"] = partition_info
        metadata["surrogate_keywords"] = {
            label: [[word, score] for word, score in words]
            for label, words in zip(labels, surrogate_ranked, strict=True)
        }
        metadata["agreement_with_surrogate"] = agreement(
            labels, ranked, surrogate_ranked, cfg.top_k
        )
        score_name = PARTITION_SCORE

    per_class = dict(zip(labels, ranked, strict=True))
    keywords = Keywords(
        taxonomy=taxonomy.name,
        method=cfg.method,
        per_class=per_class,
        n_examples=n_examples,
        empty_classes=[label for label in labels if not per_class[label]],
        metadata={"score": score_name, **metadata},
    )
    save_keywords(keywords, out_dir)
    if cfg.plots:
        for label in labels:
            plot_class_keywords(label, per_class[label], out_dir / "plots", score_name)
    return keywords


def agreement(
    labels: tuple[str, ...],
    ranked: list[list[tuple[str, float]]],
    reference: list[list[tuple[str, float]]],
    k: int,
) -> dict[str, Any]:
    """Per class Jaccard and overlap@k of two rankings, plus their means over classes
    where both produced keywords."""
    per_class = {}
    for label, words, reference_words in zip(labels, ranked, reference, strict=True):
        first = [word for word, _ in words]
        second = [word for word, _ in reference_words]
        per_class[label] = {
            "jaccard": jaccard(first, second),
            f"overlap@{k}": overlap_at_k(first, second, k),
            "both_nonempty": bool(first and second),
        }
    scored = [entry for entry in per_class.values() if entry["both_nonempty"]]
    return {
        "k": k,
        "classes": per_class,
        "mean_jaccard": float(np.mean([e["jaccard"] for e in scored])) if scored else None,
        f"mean_overlap@{k}": float(np.mean([e[f"overlap@{k}"] for e in scored]))
        if scored
        else None,
    }
