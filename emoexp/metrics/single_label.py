"""Single-label figures for the conversation benchmarks (MELD, EmoryNLP, DailyDialog).

Their papers report accuracy and weighted F1 over one emotion per utterance, and
DailyDialog's micro F1 leaves out the dominant neutral class. The classifier is multi-label,
so its prediction here is the most probable class. Every figure comes from scikit-learn.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

NEUTRAL = "neutral"


def is_single_label(targets: np.ndarray) -> bool:
    """True when every row carries exactly one label (and there is at least one row)."""
    return bool(len(targets)) and bool(np.all(np.asarray(targets).sum(axis=1) == 1))


def single_label_metrics(
    probs: np.ndarray, targets: np.ndarray, labels: Sequence[str], neutral: str = NEUTRAL
) -> dict[str, Any]:
    """Accuracy, weighted and macro F1 of the argmax prediction; with a `neutral` class,
    also micro F1 over the other classes (DailyDialog's headline figure)."""
    targets = np.asarray(targets)
    if not is_single_label(targets):
        raise ValueError("single-label metrics need exactly one label per row")
    truth = targets.argmax(axis=1)
    predicted = np.asarray(probs).argmax(axis=1)
    every = list(range(len(labels)))
    out: dict[str, Any] = {
        "n": len(truth),
        "accuracy": float(accuracy_score(truth, predicted)),
        "f1_weighted": float(
            f1_score(truth, predicted, labels=every, average="weighted", zero_division=0)
        ),
        "f1_macro": float(
            f1_score(truth, predicted, labels=every, average="macro", zero_division=0)
        ),
    }
    if neutral in labels:
        others = [i for i, label in enumerate(labels) if label != neutral]
        out["f1_micro_no_neutral"] = float(
            f1_score(truth, predicted, labels=others, average="micro", zero_division=0)
        )
        out["neutral_label"] = neutral
    return out
