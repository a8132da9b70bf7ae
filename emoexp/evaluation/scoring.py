"""Score a classifier on named test sets.

A set can be restricted to the labels it shares with the model's taxonomy: a zero-shot set
mapped from another label scheme can only ever contain the labels its mapping produces, so
scoring the others would count a model's correct silence as undefined or wrong.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import datasets
import numpy as np

from emoexp.data.columns import column
from emoexp.data.taxonomy import Taxonomy
from emoexp.evaluation.predictions import save_predictions
from emoexp.metrics.multilabel import multilabel_metrics, singlelabel_metrics


class ProbabilityModel(Protocol):
    def predict_proba(self, ds: datasets.Dataset) -> np.ndarray: ...


@dataclass
class EvalSet:
    """A test set in the model's taxonomy, with the labels it can be scored on."""

    dataset: datasets.Dataset
    # score only these labels (None: every label of the taxonomy)
    labels: tuple[str, ...] | None = None
    # one gold label per row (conversation corpora): also accuracy and weighted F1
    single_label: bool = False
    # reported beside the metrics: source, shared and ignored labels, mapping counts
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class SkippedSet:
    """A set that could not be scored, and why; reported instead of failing the job."""

    reason: str


def _label_indices(taxonomy: Taxonomy, labels: Sequence[str] | None) -> list[int]:
    if labels is None:
        return list(range(len(taxonomy.labels)))
    unknown = [label for label in labels if label not in taxonomy.labels]
    if unknown:
        raise ValueError(f"labels {unknown} are not in taxonomy {taxonomy.name}")
    return [taxonomy.index(label) for label in labels]


def single_label_targets(probs: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """One gold index per row for arg-max scoring; -1 where no scored label is gold.

    When a source label maps to several target labels, predicting any of them is right: the
    gold index is then the predicted one if it is gold, else the first gold label.
    """
    predicted = probs.argmax(axis=1)
    gold = np.full(len(targets), -1, dtype=np.int64)
    for row, (pred, hot) in enumerate(zip(predicted, targets, strict=True)):
        positives = np.flatnonzero(hot > 0)
        if len(positives):
            gold[row] = pred if hot[pred] > 0 else positives[0]
    return gold


def score_set(
    probs: np.ndarray,
    targets: np.ndarray,
    taxonomy: Taxonomy,
    labels: Sequence[str] | None = None,
    thresholds: np.ndarray | None = None,
    single_label: bool = False,
) -> dict[str, Any]:
    """Multi-label metrics on the chosen labels; arg-max accuracy and weighted F1 as well for
    single-label sets (arg-max over the chosen labels only)."""
    indices = _label_indices(taxonomy, labels)
    names = [taxonomy.labels[i] for i in indices]
    sub_probs = probs[:, indices]
    sub_targets = targets[:, indices]
    cuts = None if thresholds is None else np.asarray(thresholds, dtype=float)[indices]
    result = multilabel_metrics(sub_probs, sub_targets, names, cuts)
    if single_label:
        gold = single_label_targets(sub_probs, sub_targets)
        single = singlelabel_metrics(sub_probs, gold, names)
        result["accuracy"] = single["accuracy"]
        result["f1_weighted"] = single["f1_weighted"]
        result["rows_without_scored_label"] = int((gold < 0).sum())
    return result


RANKING_METRICS = ("ap_micro", "lrap", "auroc_micro")


def evaluate(
    classifier: ProbabilityModel,
    test_sets: Mapping[str, datasets.Dataset | EvalSet | SkippedSet],
    taxonomy: Taxonomy,
    thresholds: np.ndarray | None = None,
    without: Sequence[str] = (),
    predictions_dir: Path | None = None,
) -> dict[str, dict[str, Any]]:
    """Metrics per named set (predictions saved as `predictions/zero_shot.<name>.npz` under
    `predictions_dir` when given). Plain Datasets are scored on every label; EvalSets on their
    labels; SkippedSets come back as {"skipped": reason}. `thresholds` are per-class cut-offs
    over the whole taxonomy (tuned on validation), used for the `@tuned` figures. For each
    label in `without` the ranking metrics are also given with that label left out, under
    "without_<label>" (a frequent neutral class can carry AP-micro and LRAP alone)."""
    results: dict[str, dict[str, Any]] = {}
    for name, entry in test_sets.items():
        if isinstance(entry, SkippedSet):
            results[name] = {"skipped": entry.reason}
            continue
        eval_set = entry if isinstance(entry, EvalSet) else EvalSet(dataset=entry)
        ds = eval_set.dataset
        if len(ds) == 0:
            results[name] = {"skipped": "no rows to score", **eval_set.info}
            continue
        taxonomies = set(ds.unique("taxonomy"))
        if taxonomies != {taxonomy.name}:
            raise ValueError(
                f"test set {name!r} is in taxonomy {sorted(taxonomies)}, the model predicts "
                f"{taxonomy.name!r}; map it first"
            )
        started = time.perf_counter()
        probs = np.asarray(classifier.predict_proba(ds), dtype=np.float64)
        seconds = time.perf_counter() - started
        targets = np.asarray(ds["multi_hot"], dtype=np.float64)
        if probs.shape != targets.shape:
            raise ValueError(
                f"test set {name!r}: classifier gave {probs.shape} probabilities for "
                f"{targets.shape} targets"
            )
        metrics = score_set(
            probs, targets, taxonomy, eval_set.labels, thresholds, eval_set.single_label
        )
        metrics["predict_seconds"] = round(seconds, 3)
        scored = list(eval_set.labels or taxonomy.labels)
        for label in without:
            rest = [other for other in scored if other != label]
            if label in scored and rest:
                reduced = score_set(probs, targets, taxonomy, rest, thresholds)
                metrics[f"without_{label}"] = {
                    key: reduced[key] for key in RANKING_METRICS if key in reduced
                }
        if predictions_dir is not None:
            ids = column(ds, "id")
            save_predictions(
                predictions_dir, f"zero_shot.{name}", probs, targets, ids,
                list(taxonomy.labels), thresholds,
            )  # fmt: skip
        results[name] = {**eval_set.info, **metrics}
    return results
