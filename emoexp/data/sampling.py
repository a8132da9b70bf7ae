"""Seed-set sampling: a fixed number of real examples per class, reproducible by seed.

Seed size is an experimental variable ("how much real data does synthetic text
replace?"), so the same (dataset, seed_size, seed) must always give the same rows.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field

import datasets

from emoexp.data.columns import column_values
from emoexp.data.taxonomy import Taxonomy

log = logging.getLogger(__name__)


@dataclass
class SeedSample:
    """The sampled rows plus how well each class was served."""

    dataset: datasets.Dataset
    # rows carrying each class in the sample (co-occurring labels can push a class past
    # seed_size) and in the whole input
    selected: dict[str, int] = field(default_factory=dict)
    available: dict[str, int] = field(default_factory=dict)
    # classes with fewer than seed_size rows in the input: all of their rows were taken
    short_classes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "rows": len(self.dataset),
            "selected": self.selected,
            "available": self.available,
            "short_classes": self.short_classes,
        }


def stratified_sample(
    ds: datasets.Dataset, taxonomy: Taxonomy, seed_size: int, seed: int
) -> SeedSample:
    """Up to `seed_size` rows per class, filling the rarest classes first.

    A multi-label row counts toward every class it carries. For each class, in order of
    increasing frequency, rows are drawn in a seeded random order, single-label rows
    first, so that filling a rare class overshoots common classes as little as possible.
    Rows without labels are never sampled. Output keeps the input's row order.
    """
    if seed_size < 1:
        raise ValueError(f"seed_size must be positive, got {seed_size}")
    wrong = sorted(set(column_values(ds, "taxonomy")) - {taxonomy.name})
    if wrong:
        raise ValueError(f"rows of taxonomy {wrong} cannot be sampled per {taxonomy.name!r} class")
    row_labels = [
        [taxonomy.index(label) for label in labels] for labels in column_values(ds, "labels")
    ]
    members: list[list[int]] = [[] for _ in taxonomy.labels]
    for row, labels in enumerate(row_labels):
        for label in labels:
            members[label].append(row)
    rng = random.Random(seed)
    counts = [0] * len(taxonomy)
    chosen: set[int] = set()
    for label in sorted(range(len(taxonomy)), key=lambda i: (len(members[i]), i)):
        candidates = list(members[label])
        rng.shuffle(candidates)
        candidates.sort(key=lambda row: len(row_labels[row]))  # stable: shuffled within ties
        for row in candidates:
            if counts[label] >= seed_size:
                break
            if row in chosen:
                continue
            chosen.add(row)
            for other in row_labels[row]:
                counts[other] += 1
    short = [
        name for name, rows in zip(taxonomy.labels, members, strict=True) if len(rows) < seed_size
    ]
    if short:
        log.warning("classes with fewer than %d rows, all taken: %s", seed_size, short)
    return SeedSample(
        dataset=ds.select(sorted(chosen)),
        selected=dict(zip(taxonomy.labels, counts, strict=True)),
        available={name: len(rows) for name, rows in zip(taxonomy.labels, members, strict=True)},
        short_classes=short,
    )


def sample_per_class(
    ds: datasets.Dataset, taxonomy: Taxonomy, seed_size: int, seed: int
) -> datasets.Dataset:
    """The rows of `stratified_sample` (short classes are logged; use it for the counts)."""
    return stratified_sample(ds, taxonomy, seed_size, seed).dataset


def sample_rows(ds: datasets.Dataset, n: int | None, seed: int) -> datasets.Dataset:
    """A seeded random subset of n rows in input order; `ds` itself when n is None or >= len."""
    if n is None or n >= len(ds):
        return ds
    if n < 0:
        raise ValueError(f"cannot sample {n} rows")
    rows = random.Random(seed).sample(range(len(ds)), n)
    return ds.select(sorted(rows))
