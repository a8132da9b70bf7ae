"""Single-label figures of the conversation benchmarks, checked against hand-counted cases."""

from __future__ import annotations

import numpy as np
import pytest

from emoexp.metrics.single_label import is_single_label, single_label_metrics

LABELS = ["anger", "joy", "neutral"]


def one_hot(indices: list[int]) -> np.ndarray:
    return np.eye(len(LABELS), dtype=np.float32)[indices]


def test_hand_counted_accuracy_weighted_f1_and_micro_f1_without_neutral() -> None:
    truth = [0, 0, 1, 2, 2, 2]
    predicted = [0, 1, 1, 2, 2, 0]
    # probabilities whose argmax is `predicted`
    probs = one_hot(predicted) * 0.6 + 0.1
    out = single_label_metrics(probs, one_hot(truth), LABELS)
    assert out["accuracy"] == pytest.approx(4 / 6)
    # per class F1: anger 2*(1/2*1/2)/(1) = 0.5, joy 2/3, neutral 0.8; weights 2, 1, 3
    assert out["f1_weighted"] == pytest.approx((2 * 0.5 + 1 * (2 / 3) + 3 * 0.8) / 6)
    assert out["f1_macro"] == pytest.approx((0.5 + 2 / 3 + 0.8) / 3)
    # micro F1 over anger and joy only (DailyDialog's convention): TP 2, predicted 4, true 3
    assert out["f1_micro_no_neutral"] == pytest.approx(2 * 2 / (4 + 3))
    assert out["n"] == 6
    assert out["neutral_label"] == "neutral"


def test_without_a_neutral_class_the_no_neutral_figure_is_absent() -> None:
    labels = ["anger", "joy"]
    probs = np.array([[0.9, 0.1], [0.2, 0.8]], dtype=np.float32)
    out = single_label_metrics(probs, np.eye(2, dtype=np.float32), labels)
    assert out["accuracy"] == 1.0
    assert "f1_micro_no_neutral" not in out


def test_only_rows_with_exactly_one_label_are_single_label() -> None:
    assert is_single_label(one_hot([0, 1, 2]))
    assert not is_single_label(np.array([[1, 1, 0], [0, 1, 0]], dtype=np.float32))
    assert not is_single_label(np.zeros((0, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="exactly one label"):
        single_label_metrics(np.ones((2, 3)), np.array([[1, 1, 0], [0, 1, 0]]), LABELS)
