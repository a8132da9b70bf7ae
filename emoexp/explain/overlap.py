"""Agreement between two keyword rankings of the same class."""

from __future__ import annotations

from collections.abc import Sequence


def jaccard(first: Sequence[str], second: Sequence[str]) -> float:
    union = set(first) | set(second)
    return len(set(first) & set(second)) / len(union) if union else 0.0


def overlap_at_k(first: Sequence[str], second: Sequence[str], k: int) -> float:
    """Share of the top-k of `first` also in the top-k of `second` (0 when k is 0)."""
    if k <= 0:
        return 0.0
    return len(set(first[:k]) & set(second[:k])) / k
