"""Seed-set sampling: a fixed number of real examples per class, reproducible by seed.

Seed size is an experimental variable ("how much real data does synthetic text
replace?"), so the same (dataset, seed_size, seed) must always give the same rows.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field

import datasets

from emoexp.data.columns import column
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
    wrong = sorted(set(column(ds, "taxonomy")) - {taxonomy.name})
    if wrong:
        raise ValueError(f"rows of taxonomy {wrong} cannot be sampled per {taxonomy.name!r} class")
    row_labels = [[taxonomy.index(label) for label in labels] for labels in column(ds, "labels")]
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


SEED_SAMPLINGS = ("per_class", "natural")


def natural_sample(
    ds: datasets.Dataset, taxonomy: Taxonomy, seed_size: int, seed: int
) -> datasets.Dataset:
    """`seed_size` x classes labelled rows drawn at random: the same budget as per-class
    sampling, but the corpus' own label distribution, so its rare classes stay rare."""
    if seed_size < 1:
        raise ValueError(f"seed_size must be positive, got {seed_size}")
    labelled = [row for row, labels in enumerate(column(ds, "labels")) if labels]
    take = min(seed_size * len(taxonomy), len(labelled))
    return ds.select(sorted(random.Random(seed).sample(labelled, take)))


def seed_sample(
    ds: datasets.Dataset, taxonomy: Taxonomy, seed_size: int, seed: int, strategy: str
) -> datasets.Dataset:
    """The seed set: `per_class` (up to seed_size rows per class, rarest first) or
    `natural` (the same number of rows at the corpus' label distribution)."""
    if strategy == "per_class":
        return sample_per_class(ds, taxonomy, seed_size, seed)
    if strategy == "natural":
        return natural_sample(ds, taxonomy, seed_size, seed)
    raise ValueError(f"data.seed_sampling must be one of {SEED_SAMPLINGS}; got {strategy!r}")


def matched_real_rows(
    reserve: datasets.Dataset, synthetic: datasets.Dataset, taxonomy: Taxonomy, seed: int
) -> datasets.Dataset:
    """As many real rows from `reserve` as `synthetic` has, each carrying the first label of
    one synthetic row where the reserve still has such a row (else any unused row).

    This is the arm that asks whether the synthetic rows beat the same amount of extra real
    data aimed at the same classes.
    """
    wanted = [labels[0] for labels in column(synthetic, "labels") if labels]
    wanted += [""] * (len(synthetic) - len(wanted))
    if len(wanted) > len(reserve):
        raise ValueError(
            f"only {len(reserve)} real rows are left outside the seed set; "
            f"{len(wanted)} are needed to match the synthetic rows"
        )
    rng = random.Random(seed)
    by_label: dict[str, list[int]] = {label: [] for label in taxonomy.labels}
    order = list(range(len(reserve)))
    rng.shuffle(order)
    reserve_labels = column(reserve, "labels")
    for row in order:
        if reserve_labels[row]:
            by_label.setdefault(reserve_labels[row][0], []).append(row)
    used: set[int] = set()
    chosen: list[int] = []
    for label in wanted:
        pool = by_label.get(label, [])
        while pool and pool[-1] in used:
            pool.pop()
        row = pool.pop() if pool else next(r for r in order if r not in used)
        used.add(row)
        chosen.append(row)
    return reserve.select(sorted(chosen))


def sample_rows(ds: datasets.Dataset, n: int | None, seed: int) -> datasets.Dataset:
    """A seeded random subset of n rows in input order; `ds` itself when n is None or >= len."""
    if n is None or n >= len(ds):
        return ds
    if n < 0:
        raise ValueError(f"cannot sample {n} rows")
    rows = random.Random(seed).sample(range(len(ds)), n)
    return ds.select(sorted(rows))
