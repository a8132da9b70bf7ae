"""Which label sets to ask for: how many samples per label, and which emotions combine.

Planning uses only the config, the taxonomy, the seed set's labels and a seeded RNG, so a
given `gen.seed` always yields the same plan and therefore the same requests.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import datasets

from emoexp.generation.config import GenConfig

DISTRIBUTIONS = ("uniform", "seed", "fill_underrepresented")
# added to every co-occurrence count, so a pair never seen in the seed set stays possible
COOCCURRENCE_SMOOTHING = 1.0


def seed_label_counts(seed: datasets.Dataset | None, labels: Sequence[str]) -> Counter[str]:
    """Occurrences of each taxonomy label in the seed set (a multi-label row counts for each)."""
    counts: Counter[str] = Counter({label: 0 for label in labels})
    if seed is None or len(seed) == 0:
        return counts
    known = set(labels)
    for row_labels in seed["labels"]:
        counts.update(label for label in row_labels if label in known)
    return counts


def largest_remainder(total: int, weights: Mapping[str, float]) -> dict[str, int]:
    """Integer counts summing to `total`, proportional to `weights` (ties go to the label
    listed first, so the split is deterministic)."""
    weight_sum = sum(weights.values())
    if total <= 0 or weight_sum <= 0:
        return {label: 0 for label in weights}
    exact = {label: total * weight / weight_sum for label, weight in weights.items()}
    counts = {label: int(value) for label, value in exact.items()}
    order = list(weights)
    leftovers = sorted(
        order, key=lambda label: (-(exact[label] - counts[label]), order.index(label))
    )
    for label in leftovers[: total - sum(counts.values())]:
        counts[label] += 1
    return counts


def primary_label_counts(
    cfg: GenConfig, labels: Sequence[str], seed: datasets.Dataset | None
) -> dict[str, int]:
    """How many samples to plan with each label as the first (primary) one."""
    if cfg.target_distribution:
        unknown = sorted(set(cfg.target_distribution) - set(labels))
        if unknown:
            raise ValueError(
                f"gen.target_distribution names labels outside the taxonomy: {unknown}"
            )
        negative = sorted(k for k, v in cfg.target_distribution.items() if int(v) < 0)
        if negative:
            raise ValueError(f"gen.target_distribution has negative counts for {negative}")
        return {label: int(cfg.target_distribution.get(label, 0)) for label in labels}
    if cfg.samples_per_label < 0:
        raise ValueError(f"gen.samples_per_label must be >= 0, got {cfg.samples_per_label}")
    if cfg.label_distribution not in DISTRIBUTIONS:
        raise ValueError(
            f"gen.label_distribution must be one of {DISTRIBUTIONS}, got {cfg.label_distribution!r}"
        )
    if cfg.label_distribution == "uniform":
        return {label: cfg.samples_per_label for label in labels}
    total = cfg.samples_per_label * len(labels)
    observed = seed_label_counts(seed, labels)
    if sum(observed.values()) == 0:
        raise ValueError(
            f"gen.label_distribution={cfg.label_distribution} needs a seed set with labels"
        )
    if cfg.label_distribution == "seed":
        return largest_remainder(total, {label: float(observed[label]) for label in labels})
    # fill_underrepresented: bring seed + synthetic as close to uniform as `total` allows
    target = (sum(observed.values()) + total) / len(labels)
    needs = {label: max(0.0, target - observed[label]) for label in labels}
    return largest_remainder(total, needs)


class LabelCombiner:
    """Samples extra labels to go with a primary one: how many from a geometric-like law
    (most texts carry one emotion), which ones by how often they co-occur in the seed set."""

    def __init__(
        self,
        labels: Sequence[str],
        seed: datasets.Dataset | None,
        *,
        max_labels: int,
        decay: float,
        exclusive: Iterable[str] = (),
    ) -> None:
        if max_labels < 1:
            raise ValueError(f"gen.max_labels_per_sample must be >= 1, got {max_labels}")
        if not 0.0 <= decay <= 1.0:
            raise ValueError(f"gen.extra_label_decay must be within [0, 1], got {decay}")
        self.labels = list(labels)
        self.max_labels = max_labels
        self.size_weights = [decay**extra for extra in range(max_labels)]
        self.exclusive = set(exclusive) & set(labels)
        self.cooccurrence: dict[str, Counter[str]] = {label: Counter() for label in labels}
        if seed is not None and len(seed):
            known = set(labels)
            for row_labels in seed["labels"]:
                present = [label for label in row_labels if label in known]
                for first in present:
                    self.cooccurrence[first].update(o for o in present if o != first)

    def sample(self, primary: str, rng: random.Random) -> tuple[str, ...]:
        chosen = [primary]
        if self.max_labels == 1 or primary in self.exclusive:
            return tuple(chosen)
        size = rng.choices(range(1, self.max_labels + 1), weights=self.size_weights)[0]
        while len(chosen) < size:
            candidates = [
                label
                for label in self.labels
                if label not in chosen and label not in self.exclusive
            ]
            if not candidates:
                break
            weights = [
                COOCCURRENCE_SMOOTHING + sum(self.cooccurrence[c][label] for c in chosen)
                for label in candidates
            ]
            chosen.append(rng.choices(candidates, weights=weights)[0])
        return tuple(chosen)


def plan_label_sets(
    cfg: GenConfig,
    labels: Sequence[str],
    seed: datasets.Dataset | None,
    rng: random.Random,
    *,
    max_labels: int | None = None,
) -> list[tuple[str, ...]]:
    """The label set of every planned sample, grouped by primary label in taxonomy order."""
    counts = primary_label_counts(cfg, labels, seed)
    combiner = LabelCombiner(
        labels,
        seed,
        max_labels=max_labels or cfg.max_labels_per_sample,
        decay=cfg.extra_label_decay,
        exclusive=cfg.exclusive_labels,
    )
    return [combiner.sample(label, rng) for label in labels for _ in range(counts[label])]
