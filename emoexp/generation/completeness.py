"""How many planned samples a generation is missing because the LLM never answered.

A reply that was read and rejected (too short, a refusal, bad JSON) is an answer; a request
that failed after the backend's retries, or a sample never asked because an earlier stage of
it failed, is missing. A generation with missing samples is not a finished artifact: a rerun
asks the backend again for exactly those samples (the response cache answers the rest).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import datasets

LLM_ERROR = "llm_error"
# longest error text kept per distinct reason (server messages can be whole HTML pages)
_REASON_CHARS = 200


@dataclass
class Completeness:
    planned: int
    missing: int
    # first line of each distinct error, with how many samples it cost
    reasons: Counter[str] = field(default_factory=Counter)

    @property
    def fraction(self) -> float:
        return self.missing / self.planned if self.planned else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "planned": self.planned,
            "missing": self.missing,
            "missing_fraction": round(self.fraction, 6),
            "missing_reasons": dict(self.reasons.most_common(10)),
        }

    def describe(self) -> str:
        top = "; ".join(f"{count} x {reason}" for reason, count in self.reasons.most_common(3))
        return (
            f"{self.missing} of {self.planned} planned samples ({self.fraction:.1%}) got no "
            f"answer from the LLM" + (f": {top}" if top else "")
        )


def completeness(
    accepted: datasets.Dataset, rejected: datasets.Dataset, stats: dict[str, Any]
) -> Completeness:
    """Count the samples the LLM never answered, and why, from a generation's rows."""
    reasons: Counter[str] = Counter()
    for raw in rejected["provenance"] if len(rejected) else []:
        provenance = json.loads(raw or "{}")
        if str(provenance.get("reason", "")).endswith(f":{LLM_ERROR}"):
            detail = str(provenance.get("reason_detail") or "no error text").strip()
            reasons[(detail.splitlines() or [""])[0][:_REASON_CHARS]] += 1
    unrequested = int(stats.get("unrequested", 0))
    if unrequested:
        reasons["never asked: an earlier stage or turn of the sample failed"] += unrequested
    missing = sum(reasons.values())
    return Completeness(len(accepted) + len(rejected) + unrequested, missing, reasons)


class IncompleteGenerationError(RuntimeError):
    """A generation that misses more samples than `gen.max_missing_fraction` allows."""

    def __init__(self, report: Completeness, allowed: float, partial_key: str) -> None:
        self.report = report
        self.allowed = allowed
        self.partial_key = partial_key
        super().__init__(
            f"generation incomplete: {report.describe()}. Nothing was stored as finished; "
            f"rerun to ask again for exactly the missing samples (answers already received "
            f"stay in the response cache), or allow a missing share with "
            f"gen.max_missing_fraction (now {allowed})"
        )
