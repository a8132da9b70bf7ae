"""Seed sampling that keeps the corpus' own label distribution, and extra real rows matched
to the labels of a synthetic set (the "as much real data instead" arm)."""

from __future__ import annotations

from collections import Counter

import datasets
import pytest

from emoexp.data.columns import column
from emoexp.data.sampling import matched_real_rows, natural_sample, seed_sample
from emoexp.data.schema import Row, rows_to_dataset
from emoexp.data.taxonomy import Taxonomy

ABC = Taxonomy("abc", ("a", "b", "c"))


def dataset(label_sets: list[list[str]], prefix: str = "r") -> datasets.Dataset:
    return rows_to_dataset(
        [
            Row(
                id=f"{prefix}{i}",
                text=f"text {prefix}{i}",
                labels=labels,
                multi_hot=ABC.multi_hot(labels),
                taxonomy=ABC.name,
            )
            for i, labels in enumerate(label_sets)
        ]
    )


@pytest.fixture(scope="module")
def skewed() -> datasets.Dataset:
    # a: 800 rows, b: 150, c: 50 (a rare class), 100 rows without labels
    return dataset([["a"]] * 800 + [["b"]] * 150 + [["c"]] * 50 + [[]] * 100)


def shares(ds: datasets.Dataset) -> dict[str, float]:
    counts = Counter(label for labels in column(ds, "labels") for label in labels)
    return {label: counts[label] / len(ds) for label in ABC.labels}


def test_natural_sample_keeps_the_corpus_distribution(skewed: datasets.Dataset) -> None:
    sample = natural_sample(skewed, ABC, seed_size=100, seed=3)
    # the same budget as per-class sampling: seed_size x classes rows, all labelled
    assert len(sample) == 300
    assert all(column(sample, "labels"))
    observed = shares(sample)
    assert observed["a"] == pytest.approx(0.8, abs=0.08)
    assert 0 < observed["c"] < 0.12  # the rare class stays rare, and exists


def test_per_class_and_natural_sampling_differ_on_a_skewed_corpus(
    skewed: datasets.Dataset,
) -> None:
    per_class = seed_sample(skewed, ABC, 100, seed=3, strategy="per_class")
    natural = seed_sample(skewed, ABC, 100, seed=3, strategy="natural")
    assert shares(per_class)["c"] > 2 * shares(natural)["c"]
    assert seed_sample(skewed, ABC, 100, seed=3, strategy="natural")["id"] == natural["id"]
    with pytest.raises(ValueError, match=r"data\.seed_sampling"):
        seed_sample(skewed, ABC, 100, seed=3, strategy="stratified")


def test_matched_real_rows_follow_the_synthetic_labels(skewed: datasets.Dataset) -> None:
    synthetic = dataset([["c"]] * 30 + [["b"]] * 10 + [["a", "b"]] * 5, prefix="s")
    extra = matched_real_rows(skewed, synthetic, ABC, seed=0)
    assert len(extra) == len(synthetic)
    primary = Counter(labels[0] for labels in column(extra, "labels"))
    assert primary["c"] == 30 and primary["b"] == 10 and primary["a"] == 5
    assert len(set(extra["id"])) == len(extra)  # drawn without replacement


def test_matched_real_rows_fill_from_other_rows_when_a_class_runs_out() -> None:
    reserve = dataset([["a"]] * 20 + [["c"]] * 2)
    synthetic = dataset([["c"]] * 5, prefix="s")
    extra = matched_real_rows(reserve, synthetic, ABC, seed=0)
    assert len(extra) == 5
    assert sum(labels == ["c"] for labels in column(extra, "labels")) == 2


def test_matched_real_rows_cannot_exceed_the_reserve() -> None:
    with pytest.raises(ValueError, match="only 2 real rows"):
        matched_real_rows(dataset([["a"], ["b"]]), dataset([["a"]] * 3, prefix="s"), ABC, seed=0)
