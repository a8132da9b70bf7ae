"""What every filter shares: the context it sees, its scores and its verdicts.

A filter works in two steps. `score` does the expensive, threshold-free part (a language
detector, MinHash, a classifier, an LLM judge) and returns one `Measurement` per row;
`decide` turns measurements into verdicts with thresholds only. A sweep over thresholds
therefore scores once and decides many times.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

import datasets

from emoexp.llm.types import LLMBackend

PASS = "ok"


class Verdict(NamedTuple):
    """One filter's decision on one row; `score` is None where the filter could not score
    the row (the reason then says why and whether it was kept anyway)."""

    keep: bool
    score: float | None
    reason: str


@dataclass
class Measurement:
    """A filter's threshold-free observation of one row; `detail` is JSON-serialisable."""

    score: float | None
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, "detail": self.detail}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Measurement:
        return cls(score=data["score"], detail=dict(data.get("detail", {})))


@dataclass
class FilterContext:
    """What filters may compare synthetic rows against.

    `reference` holds real texts no synthetic row may duplicate (test and validation
    splits: a copy would leak evaluation data into training); the seed set is always
    compared as well. The language each row must be in comes from its `language` column.
    """

    taxonomy: Any
    seed: datasets.Dataset | None = None
    reference: dict[str, Sequence[str] | datasets.Dataset] = field(default_factory=dict)
    backend: LLMBackend | None = None


class QualityFilter(Protocol):
    name: str

    def scoring_config(self) -> dict[str, Any]:
        """The configuration the scores depend on (never a pure threshold)."""
        ...

    def score(self, ds: datasets.Dataset, context: FilterContext) -> list[Measurement]: ...

    def decide(
        self, measurements: Sequence[Measurement], eligible: Sequence[bool]
    ) -> list[Verdict]:
        """Verdicts from measurements and thresholds. `eligible[i]` says whether row i passes
        every other enabled filter (only deduplication needs it: a duplicate group keeps its
        first eligible member)."""
        ...

    def evaluate(self, ds: datasets.Dataset, context: FilterContext) -> list[Verdict]: ...


class TwoStepFilter:
    """Implements `evaluate` as `decide(score(...))` with every row eligible."""

    name = "filter"

    def score(self, ds: datasets.Dataset, context: FilterContext) -> list[Measurement]:
        raise NotImplementedError

    def decide(
        self, measurements: Sequence[Measurement], eligible: Sequence[bool]
    ) -> list[Verdict]:
        raise NotImplementedError

    def evaluate(self, ds: datasets.Dataset, context: FilterContext) -> list[Verdict]:
        measurements = self.score(ds, context)
        return self.decide(measurements, [True] * len(measurements))
