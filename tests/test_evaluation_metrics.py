"""`evaluate` on small hand-made sets: label restriction, single-label scoring, skipping."""

from __future__ import annotations

import numpy as np
import pytest

from emoexp.data.schema import Row, rows_to_dataset
from emoexp.data.taxonomy import Taxonomy
from emoexp.evaluation.scoring import EvalSet, SkippedSet, evaluate, single_label_targets

TAXONOMY = Taxonomy(name="toy4", labels=("anger", "joy", "love", "sadness"))


class FixedModel:
    """Returns given probabilities, row for row, like a trained classifier would."""

    def __init__(self, probs: list[list[float]]) -> None:
        self.probs = np.asarray(probs, dtype=np.float32)
        self.calls = 0

    def predict_proba(self, ds) -> np.ndarray:
        self.calls += 1
        assert len(ds) == len(self.probs)
        return self.probs


def _dataset(label_rows: list[list[str]], taxonomy: str = "toy4"):
    return rows_to_dataset(
        [
            Row(
                id=str(i),
                text=f"text {i}",
                labels=labels,
                multi_hot=TAXONOMY.multi_hot(labels),
                taxonomy=taxonomy,
            )
            for i, labels in enumerate(label_rows)
        ]
    )


GOLD = [["anger"], ["joy"], ["joy", "love"], ["sadness"]]
# ranks every gold label above every other label of its row, but joy for row 2 is low
PROBS = [
    [0.9, 0.1, 0.0, 0.2],
    [0.1, 0.8, 0.3, 0.0],
    [0.0, 0.4, 0.7, 0.1],
    [0.2, 0.0, 0.1, 0.6],
]


def test_every_label_scored_on_a_plain_dataset() -> None:
    result = evaluate(FixedModel(PROBS), {"test": _dataset(GOLD)}, TAXONOMY)["test"]
    assert result["n_samples"] == 4
    assert result["ap_macro"] == pytest.approx(1.0)  # each class's positives rank first
    # f1 at 0.5: joy in row 2 (0.4) is missed -> joy F1 = 2/3, others 1
    assert result["f1_macro@0.5"] == pytest.approx((1 + 2 / 3 + 1 + 1) / 4)
    assert set(result["per_class"]) == set(TAXONOMY.labels)
    assert result["absent_classes"] == []


def test_thresholds_give_tuned_figures() -> None:
    thresholds = np.array([0.5, 0.35, 0.5, 0.5])
    result = evaluate(FixedModel(PROBS), {"test": _dataset(GOLD)}, TAXONOMY, thresholds)["test"]
    assert result["f1_macro@tuned"] == pytest.approx(1.0)


def test_restricted_labels_ignore_the_others() -> None:
    eval_set = EvalSet(dataset=_dataset(GOLD), labels=("anger", "sadness"), info={"source": "toy"})
    result = evaluate(FixedModel(PROBS), {"zs": eval_set}, TAXONOMY, np.full(4, 0.5))["zs"]
    assert set(result["per_class"]) == {"anger", "sadness"}
    assert result["per_class"]["sadness"]["threshold"] == 0.5
    assert result["source"] == "toy"


def test_single_label_accuracy_is_argmax_over_the_scored_labels() -> None:
    gold = [["anger"], ["joy"], ["love"], ["sadness"]]
    probs = [
        [0.9, 0.1, 0.0, 0.2],
        [
            0.1,
            0.2,
            0.9,
            0.0,
        ],  # love is highest but not scored: argmax over anger/joy/sadness -> joy
        [0.0, 0.4, 0.7, 0.1],  # gold love is not scored: the row has no scored gold label
        [0.7, 0.0, 0.1, 0.6],  # anger beats sadness: wrong
    ]
    eval_set = EvalSet(
        dataset=_dataset(gold), labels=("anger", "joy", "sadness"), single_label=True
    )
    result = evaluate(FixedModel(probs), {"conv": eval_set}, TAXONOMY)["conv"]
    assert result["rows_without_scored_label"] == 1
    assert result["accuracy"] == pytest.approx(2 / 4)  # the row without a scored label counts wrong
    # anger: tp 1, fp 1 (row 3) -> 2/3; joy: tp 1, fp 1 (row 2, no scored gold) -> 2/3;
    # sadness: missed -> 0; one gold row each
    assert result["f1_weighted"] == pytest.approx((2 / 3 + 2 / 3 + 0.0) / 3)


def test_single_label_gold_prefers_the_predicted_label_among_several() -> None:
    probs = np.array([[0.1, 0.8, 0.3], [0.9, 0.0, 0.1]])
    targets = np.array([[0.0, 1.0, 1.0], [0.0, 1.0, 1.0]])
    assert single_label_targets(probs, targets).tolist() == [1, 1]


def test_skipped_and_empty_sets_are_reported_not_scored() -> None:
    model = FixedModel([])
    result = evaluate(
        model,
        {
            "missing": SkippedSet("FileNotFoundError: no copy"),
            "empty": EvalSet(_dataset([]), info={"source": "x"}),
        },
        TAXONOMY,
    )
    assert result["missing"] == {"skipped": "FileNotFoundError: no copy"}
    assert result["empty"]["skipped"] == "no rows to score"
    assert model.calls == 0


def test_a_set_in_another_taxonomy_is_refused() -> None:
    with pytest.raises(ValueError, match="map it first"):
        evaluate(FixedModel(PROBS), {"raw": _dataset(GOLD, taxonomy="goemotions")}, TAXONOMY)
