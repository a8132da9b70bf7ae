"""Seed sampling and dialogue context on small hand-built datasets with known answers."""

from __future__ import annotations

from collections import Counter

import datasets
import pytest

from emoexp.data.columns import column
from emoexp.data.conversation import preceding_turns
from emoexp.data.sampling import sample_per_class, sample_rows, stratified_sample
from emoexp.data.schema import Row, rows_to_dataset
from emoexp.data.taxonomy import Taxonomy

ABC = Taxonomy("abc", ("a", "b", "c"))


def dataset(label_sets: list[list[str]], taxonomy: Taxonomy = ABC) -> datasets.Dataset:
    return rows_to_dataset(
        [
            Row(
                id=f"r{i}",
                text=f"text {i}",
                labels=labels,
                multi_hot=taxonomy.multi_hot(labels),
                taxonomy=taxonomy.name,
            )
            for i, labels in enumerate(label_sets)
        ]
    )


def label_counts(ds: datasets.Dataset) -> Counter[str]:
    return Counter(label for labels in column(ds, "labels") for label in labels)


@pytest.fixture(scope="module")
def skewed() -> datasets.Dataset:
    # a: 200 rows, b: 40 rows, c: 6 rows (3 alone, 3 with a), 10 rows without labels
    return dataset([["a"]] * 197 + [["b"]] * 40 + [["c"]] * 3 + [["a", "c"]] * 3 + [[]] * 10)


def test_per_class_counts_rarest_first(skewed: datasets.Dataset) -> None:
    sample = stratified_sample(skewed, ABC, seed_size=5, seed=0)
    counts = label_counts(sample.dataset)
    assert counts["c"] == 5 and counts["b"] == 5
    assert counts["a"] >= 5
    assert sample.selected == dict(counts)
    assert sample.available == {"a": 200, "b": 40, "c": 6}
    assert sample.short_classes == []
    # single-label c rows are preferred, so at most 2 of the a+c rows were needed
    assert counts["a"] <= 7
    assert all(column(sample.dataset, "labels"))  # unlabelled rows are never drawn


def test_short_class_gets_all_its_rows_and_is_recorded(skewed: datasets.Dataset) -> None:
    sample = stratified_sample(skewed, ABC, seed_size=10, seed=0)
    counts = label_counts(sample.dataset)
    assert counts["c"] == 6
    assert sample.short_classes == ["c"]
    assert counts["b"] == 10


def test_sampling_is_deterministic_per_seed(skewed: datasets.Dataset) -> None:
    first = column(sample_per_class(skewed, ABC, 8, seed=1), "id")
    assert first == column(sample_per_class(skewed, ABC, 8, seed=1), "id")
    assert first != column(sample_per_class(skewed, ABC, 8, seed=2), "id")
    positions = [int(row_id[1:]) for row_id in first]
    assert positions == sorted(positions)  # input order is kept


def test_sampling_refuses_rows_of_another_taxonomy(skewed: datasets.Dataset) -> None:
    with pytest.raises(ValueError, match="taxonomy \\['abc'\\]"):
        sample_per_class(skewed, Taxonomy("xyz", ("a", "b", "c")), 5, 0)
    with pytest.raises(ValueError, match="seed_size must be positive"):
        sample_per_class(skewed, ABC, 0, 0)


def test_sample_rows_caps_deterministically(skewed: datasets.Dataset) -> None:
    assert sample_rows(skewed, None, 0) is skewed
    assert sample_rows(skewed, len(skewed), 0) is skewed
    capped = sample_rows(skewed, 20, seed=5)
    assert len(capped) == 20
    assert column(capped, "id") == column(sample_rows(skewed, 20, seed=5), "id")
    assert column(capped, "id") != column(sample_rows(skewed, 20, seed=6), "id")


def turns(rows: list[tuple[str, int, str]]) -> datasets.Dataset:
    return rows_to_dataset(
        [
            Row(
                id=f"r{i}",
                text=text,
                labels=[],
                multi_hot=[0.0, 0.0, 0.0],
                taxonomy="abc",
                dialogue_id=dialogue,
                turn=turn,
            )
            for i, (dialogue, turn, text) in enumerate(rows)
        ]
    )


def test_preceding_turns_orders_by_turn_within_each_dialogue() -> None:
    ds = turns(
        [
            ("d1", 2, "c"),
            ("d2", 0, "x"),
            ("d1", 0, "a"),
            ("", -1, "solo"),
            ("d1", 1, "b"),
            ("d2", 1, "y"),
        ]
    )
    assert preceding_turns(ds, 1) == [["b"], [], [], [], ["a"], ["x"]]
    assert preceding_turns(ds, 5) == [["a", "b"], [], [], [], ["a"], ["x"]]
    assert preceding_turns(ds, 0) == [[]] * 6
    with pytest.raises(ValueError, match="window"):
        preceding_turns(ds, -1)


def test_preceding_turns_of_a_row_missing_from_the_pool() -> None:
    pool = turns([("d1", 0, "a"), ("d1", 2, "c")])
    rows = turns([("d1", 1, "b"), ("d1", 3, "d")])
    assert preceding_turns(rows, 2, pool=pool) == [["a"], ["a", "c"]]
