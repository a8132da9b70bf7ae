"""Multi-label and single-label classification metrics.

torchmetrics returns NaN for a class without positives (AP, AUROC) and quietly leaves it out
of macro averages; F1 of such a class is 0/0. Here every macro average is taken over the
classes that have positives in `targets`, and the report names the classes that had none, so
two runs scored on different subsets are never compared on silently different averages.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from sklearn.metrics import accuracy_score, f1_score, jaccard_score
from torchmetrics.functional.classification import (
    multilabel_auroc,
    multilabel_average_precision,
    multilabel_f1_score,
    multilabel_ranking_average_precision,
)

DEFAULT_THRESHOLD = 0.5
DEFAULT_GRID = tuple(round(x, 2) for x in np.arange(0.05, 0.951, 0.05))


def _as_arrays(probs: Any, targets: Any) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(probs, dtype=np.float64)
    t = np.asarray(targets, dtype=np.float64)
    if p.ndim != 2 or p.shape != t.shape:
        raise ValueError(f"probs {p.shape} and targets {t.shape} must be equal-shaped 2-D arrays")
    if not np.isin(t, (0.0, 1.0)).all():
        raise ValueError("targets must be multi-hot 0/1 values")
    return p, t


def _nan_to_none(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def binarize(probs: np.ndarray, thresholds: float | Sequence[float] | np.ndarray) -> np.ndarray:
    """0/1 predictions: a class is predicted when its probability reaches its threshold."""
    cut = np.broadcast_to(np.asarray(thresholds, dtype=np.float64), probs.shape[1:])
    return (probs >= cut).astype(np.float64)


def jaccard_samples(predicted: np.ndarray, targets: np.ndarray) -> float:
    """SemEval-2018 E-c's official score: mean over rows of |pred ∩ gold| / |pred ∪ gold|.

    A row with neither a predicted nor a gold label agrees perfectly and counts 1.
    """
    if len(targets) == 0:
        return float("nan")
    return float(
        jaccard_score(
            targets.astype(bool), predicted.astype(bool), average="samples", zero_division=1.0
        )
    )


def _f1_scores(predicted: np.ndarray, targets: np.ndarray, present: np.ndarray) -> dict[str, Any]:
    num_labels = targets.shape[1]
    pred_t = torch.from_numpy(predicted)
    gold_t = torch.from_numpy(targets).long()
    per_class = multilabel_f1_score(
        pred_t, gold_t, num_labels=num_labels, threshold=0.5, average="none", zero_division=0
    ).numpy()
    micro = multilabel_f1_score(
        pred_t, gold_t, num_labels=num_labels, threshold=0.5, average="micro", zero_division=0
    ).item()
    macro = float(per_class[present].mean()) if present.any() else float("nan")
    return {"micro": float(micro), "macro": macro, "per_class": per_class}


def multilabel_metrics(
    probs: Any,
    targets: Any,
    label_names: Sequence[str],
    thresholds: Sequence[float] | np.ndarray | None = None,
) -> dict[str, Any]:
    """Score probabilities [n, num_labels] against multi-hot targets.

    Returns flat floats (`ap_micro`, `ap_macro`, `lrap`, `auroc_micro`, `auroc_macro`,
    `f1_micro@0.5`, `f1_macro@0.5`, `jaccard_samples@0.5`, and the `@tuned` variants when
    per-class `thresholds` are given), `n_samples`, a `per_class` dict (ap, auroc, f1@0.5,
    f1@tuned, threshold, support) and `absent_classes`: the labels without positives, left
    out of every macro average. Undefined values are None in `per_class` and NaN in flat keys.
    """
    p, t = _as_arrays(probs, targets)
    names = list(label_names)
    if p.shape[1] != len(names):
        raise ValueError(f"{p.shape[1]} probability columns but {len(names)} label names")
    num_labels = len(names)
    support = t.sum(axis=0)
    present = support > 0
    has_negatives = support < len(t)
    absent = [name for name, is_present in zip(names, present, strict=True) if not is_present]

    probs_t = torch.from_numpy(p)
    gold_t = torch.from_numpy(t).long()
    report: dict[str, Any] = {"n_samples": len(t)}
    if present.any():
        report["ap_micro"] = multilabel_average_precision(
            probs_t, gold_t, num_labels=num_labels, average="micro"
        ).item()
        per_class_ap = multilabel_average_precision(
            probs_t, gold_t, num_labels=num_labels, average="none"
        ).numpy()
        report["lrap"] = multilabel_ranking_average_precision(
            probs_t, gold_t, num_labels=num_labels
        ).item()
    else:
        report["ap_micro"] = report["lrap"] = float("nan")
        per_class_ap = np.full(num_labels, np.nan)
    per_class_ap = np.where(present, per_class_ap, np.nan)
    report["ap_macro"] = float(per_class_ap[present].mean()) if present.any() else float("nan")

    # AUROC needs both positives and negatives, micro over the flattened matrix likewise
    auroc_defined = present & has_negatives
    if auroc_defined.any():
        per_class_auroc = multilabel_auroc(
            probs_t, gold_t, num_labels=num_labels, average="none"
        ).numpy()
        per_class_auroc = np.where(auroc_defined, per_class_auroc, np.nan)
        report["auroc_macro"] = float(per_class_auroc[auroc_defined].mean())
    else:
        per_class_auroc = np.full(num_labels, np.nan)
        report["auroc_macro"] = float("nan")
    flat_has_both = 0 < t.sum() < t.size
    report["auroc_micro"] = (
        multilabel_auroc(probs_t, gold_t, num_labels=num_labels, average="micro").item()
        if flat_has_both
        else float("nan")
    )

    at_default = binarize(p, DEFAULT_THRESHOLD)
    f1_default = _f1_scores(at_default, t, present)
    report["f1_micro@0.5"] = f1_default["micro"]
    report["f1_macro@0.5"] = f1_default["macro"]
    report["jaccard_samples@0.5"] = jaccard_samples(at_default, t)

    tuned = None
    if thresholds is not None:
        cuts = np.asarray(thresholds, dtype=np.float64)
        if cuts.shape != (num_labels,):
            raise ValueError(f"expected {num_labels} thresholds, got shape {cuts.shape}")
        at_tuned = binarize(p, cuts)
        tuned = _f1_scores(at_tuned, t, present)
        report["f1_micro@tuned"] = tuned["micro"]
        report["f1_macro@tuned"] = tuned["macro"]
        report["jaccard_samples@tuned"] = jaccard_samples(at_tuned, t)

    per_class: dict[str, dict[str, Any]] = {}
    for index, name in enumerate(names):
        entry: dict[str, Any] = {
            "support": int(support[index]),
            "ap": _nan_to_none(per_class_ap[index]),
            "auroc": _nan_to_none(per_class_auroc[index]),
            "f1@0.5": float(f1_default["per_class"][index]) if present[index] else None,
        }
        if tuned is not None:
            entry["f1@tuned"] = float(tuned["per_class"][index]) if present[index] else None
            entry["threshold"] = float(np.asarray(thresholds)[index])
        per_class[name] = entry
    report["per_class"] = per_class
    report["absent_classes"] = absent
    return report


def tune_thresholds(probs: Any, targets: Any, grid: Sequence[float] = DEFAULT_GRID) -> np.ndarray:
    """Per-class threshold maximising that class's F1 on held-out data (validation).

    A class without positives keeps 0.5: there is nothing to tune it on. Ties go to the
    threshold closest to 0.5, the least surprising choice.
    """
    p, t = _as_arrays(probs, targets)
    candidates = np.asarray(sorted(grid), dtype=np.float64)
    if candidates.size == 0:
        raise ValueError("the threshold grid is empty")
    gold = t.astype(bool)
    # [grid, n, labels] would be large for big sets; loop over the grid instead
    f1 = np.zeros((len(candidates), p.shape[1]))
    for g, cut in enumerate(candidates):
        pred = p >= cut
        tp = (pred & gold).sum(axis=0)
        fp = (pred & ~gold).sum(axis=0)
        fn = (~pred & gold).sum(axis=0)
        denominator = 2 * tp + fp + fn
        f1[g] = np.where(denominator > 0, 2 * tp / np.maximum(denominator, 1), 0.0)
    best = np.full(p.shape[1], DEFAULT_THRESHOLD)
    distance = np.abs(candidates - DEFAULT_THRESHOLD)
    for label in range(p.shape[1]):
        if not gold[:, label].any():
            continue
        top = np.flatnonzero(np.isclose(f1[:, label], f1[:, label].max()))
        best[label] = candidates[top[np.argmin(distance[top])]]
    return best


def singlelabel_metrics(
    probs: Any, target_index: Any, label_names: Sequence[str] | None = None
) -> dict[str, Any]:
    """Accuracy and support-weighted F1 of the arg-max class, for one-label-per-row sets
    (conversation corpora such as MELD or EmoryNLP). Rows whose target is -1 (a gold label
    outside the predicted label set) count as errors in accuracy and as false positives of
    the predicted class in F1; weights are the supports, as in scikit-learn."""
    p = np.asarray(probs, dtype=np.float64)
    target = np.asarray(target_index, dtype=np.int64)
    if p.ndim != 2 or target.shape != (p.shape[0],):
        raise ValueError(f"probs {p.shape} and target_index {target.shape} do not match")
    num_classes = p.shape[1]
    if (target >= num_classes).any() or (target < -1).any():
        raise ValueError(f"target indices must lie in [-1, {num_classes})")
    if len(target) == 0:
        return {"n_samples": 0, "accuracy": float("nan"), "f1_weighted": float("nan")}
    predicted = p.argmax(axis=1)
    classes = list(range(num_classes))
    accuracy = float(accuracy_score(target, predicted))
    # a row whose gold label lies outside the label set (-1) is a false positive of its
    # prediction: scoring over `classes` only gives exactly that
    per_class_f1 = f1_score(target, predicted, labels=classes, average=None, zero_division=0)
    f1_weighted = f1_score(target, predicted, labels=classes, average="weighted", zero_division=0)
    support = np.bincount(target[target >= 0], minlength=num_classes)
    names = list(label_names) if label_names is not None else [str(i) for i in range(num_classes)]
    return {
        "n_samples": len(target),
        "accuracy": accuracy,
        "f1_weighted": float(f1_weighted),
        "per_class": {
            name: {
                "support": int(support[i]),
                "f1": float(per_class_f1[i]) if support[i] else None,
            }
            for i, name in enumerate(names)
        },
    }
