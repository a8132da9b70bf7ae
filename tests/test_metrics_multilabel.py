"""Metrics against hand-computed values and scikit-learn."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import (
    average_precision_score,
    f1_score,
    label_ranking_average_precision_score,
    roc_auc_score,
)

from emoexp.metrics.multilabel import (
    jaccard_samples,
    multilabel_metrics,
    singlelabel_metrics,
    tune_thresholds,
)

LABELS = ["joy", "anger", "fear"]


@pytest.fixture
def scored() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    targets = (rng.random((40, 3)) < 0.35).astype(float)
    targets[0] = [1, 1, 1]  # every class present
    targets[1] = [0, 0, 0]
    probs = np.clip(0.5 * targets + 0.6 * rng.random((40, 3)), 0, 1)
    return probs, targets


def test_matches_scikit_learn(scored: tuple[np.ndarray, np.ndarray]) -> None:
    probs, targets = scored
    report = multilabel_metrics(probs, targets, LABELS)
    assert report["ap_micro"] == pytest.approx(
        average_precision_score(targets, probs, average="micro"), abs=1e-6
    )
    assert report["ap_macro"] == pytest.approx(
        average_precision_score(targets, probs, average="macro"), abs=1e-6
    )
    assert report["auroc_micro"] == pytest.approx(
        roc_auc_score(targets, probs, average="micro"), abs=1e-6
    )
    assert report["auroc_macro"] == pytest.approx(
        roc_auc_score(targets, probs, average="macro"), abs=1e-6
    )
    predicted = (probs >= 0.5).astype(int)
    assert report["f1_micro@0.5"] == pytest.approx(f1_score(targets, predicted, average="micro"))
    assert report["f1_macro@0.5"] == pytest.approx(f1_score(targets, predicted, average="macro"))
    for i, name in enumerate(LABELS):
        assert report["per_class"][name]["support"] == int(targets[:, i].sum())
        assert report["per_class"][name]["ap"] == pytest.approx(
            average_precision_score(targets[:, i], probs[:, i]), abs=1e-6
        )
    assert report["absent_classes"] == []


def test_lrap_matches_scikit_learn_including_rows_without_labels(
    scored: tuple[np.ndarray, np.ndarray],
) -> None:
    probs, targets = scored
    report = multilabel_metrics(probs, targets, LABELS)
    assert report["lrap"] == pytest.approx(
        label_ranking_average_precision_score(targets, probs), abs=1e-6
    )


def test_absent_class_is_named_and_left_out_of_macro_averages() -> None:
    targets = np.array([[1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 0]], dtype=float)
    probs = np.array(
        [[0.9, 0.2, 0.7], [0.1, 0.8, 0.1], [0.6, 0.4, 0.2], [0.3, 0.1, 0.4]], dtype=float
    )
    report = multilabel_metrics(probs, targets, LABELS)
    assert report["absent_classes"] == ["fear"]
    assert report["per_class"]["fear"]["ap"] is None
    assert report["per_class"]["fear"]["auroc"] is None
    assert report["per_class"]["fear"]["f1@0.5"] is None
    present_ap = [
        average_precision_score(targets[:, i], probs[:, i]) for i in range(2)
    ]  # joy, anger
    assert report["ap_macro"] == pytest.approx(np.mean(present_ap), abs=1e-6)
    assert not math.isnan(report["auroc_macro"])
    # fear's false positive (0.7 on row 0) still counts against micro F1
    assert report["f1_micro@0.5"] == pytest.approx(
        f1_score(targets, (probs >= 0.5).astype(int), average="micro")
    )


def test_jaccard_by_hand() -> None:
    predicted = np.array([[1, 1, 0], [0, 0, 0], [1, 0, 0], [0, 0, 1]])
    gold = np.array([[1, 0, 0], [0, 0, 0], [0, 1, 0], [0, 0, 1]])
    # rows: 1/2, both empty -> 1, 0/2, 1/1
    assert jaccard_samples(predicted, gold) == pytest.approx((0.5 + 1 + 0 + 1) / 4)


def test_tuned_thresholds_are_used_and_reported() -> None:
    targets = np.array([[1, 0, 0], [1, 0, 1], [0, 1, 0], [0, 1, 1]], dtype=float)
    probs = np.array(
        [[0.30, 0.1, 0.2], [0.35, 0.2, 0.8], [0.1, 0.9, 0.1], [0.2, 0.7, 0.9]], dtype=float
    )
    thresholds = tune_thresholds(probs, targets)
    # joy's positives score 0.30/0.35, its negatives at most 0.2: a cut in (0.2, 0.30]
    assert 0.2 < thresholds[0] <= 0.30
    report = multilabel_metrics(probs, targets, LABELS, thresholds=thresholds)
    assert report["f1_micro@tuned"] == pytest.approx(1.0)
    assert report["jaccard_samples@tuned"] == pytest.approx(1.0)
    assert report["f1_micro@0.5"] < 1.0
    assert report["per_class"]["joy"]["threshold"] == pytest.approx(thresholds[0])


def test_tune_thresholds_keeps_default_for_a_class_without_positives() -> None:
    targets = np.array([[1, 0], [0, 0], [1, 0]], dtype=float)
    probs = np.array([[0.8, 0.9], [0.1, 0.7], [0.6, 0.2]])
    assert tune_thresholds(probs, targets)[1] == 0.5


def test_rejects_mismatched_shapes_and_non_binary_targets() -> None:
    with pytest.raises(ValueError, match="equal-shaped"):
        multilabel_metrics(np.zeros((2, 3)), np.zeros((3, 3)), LABELS)
    with pytest.raises(ValueError, match="multi-hot"):
        multilabel_metrics(np.zeros((2, 3)), np.full((2, 3), 0.5), LABELS)
    with pytest.raises(ValueError, match="label names"):
        multilabel_metrics(np.zeros((2, 3)), np.zeros((2, 3)), ["a", "b"])


def test_singlelabel_matches_scikit_learn() -> None:
    rng = np.random.default_rng(3)
    probs = rng.random((30, 4))
    target = rng.integers(0, 4, size=30)
    report = singlelabel_metrics(probs, target, ["a", "b", "c", "d"])
    predicted = probs.argmax(axis=1)
    assert report["accuracy"] == pytest.approx((predicted == target).mean())
    assert report["f1_weighted"] == pytest.approx(f1_score(target, predicted, average="weighted"))


def test_singlelabel_counts_out_of_set_gold_as_errors() -> None:
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3]])
    target = np.array([0, 1, -1])
    report = singlelabel_metrics(probs, target)
    assert report["accuracy"] == pytest.approx(2 / 3)
    predicted = probs.argmax(axis=1)
    assert report["f1_weighted"] == pytest.approx(
        f1_score(target, predicted, labels=[0, 1], average="weighted")
    )
