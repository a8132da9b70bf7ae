"""Refusals and assistant boilerplate: an LLM talking about the task is not a data point."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import datasets
import yaml

from emoexp.filters.base import PASS, FilterContext, Measurement, TwoStepFilter, Verdict, column
from emoexp.filters.config import RefusalFilterConfig

DEFAULT_PATTERNS = Path(__file__).resolve().parent / "data" / "refusal_patterns.yaml"


def load_patterns(path: str | Path) -> dict[str, re.Pattern[str]]:
    path = Path(path or DEFAULT_PATTERNS)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    raw = data.get("patterns")
    if not isinstance(raw, dict) or not raw:
        raise ValueError(f"{path}: expected a non-empty 'patterns' mapping of name -> regex")
    compiled = {}
    for name, pattern in raw.items():
        try:
            compiled[str(name)] = re.compile(str(pattern), re.IGNORECASE | re.MULTILINE)
        except re.error as error:
            raise ValueError(f"{path}: pattern {name!r} is not a valid regex: {error}") from error
    return compiled


class RefusalFilter(TwoStepFilter):
    name = "refusal"

    def __init__(self, cfg: RefusalFilterConfig) -> None:
        self.cfg = cfg
        self.patterns = load_patterns(cfg.patterns_file)

    def scoring_config(self) -> dict[str, Any]:
        return {name: pattern.pattern for name, pattern in self.patterns.items()}

    def matches(self, text: str) -> list[str]:
        normalised = text.replace("’", "'")
        return [name for name, pattern in self.patterns.items() if pattern.search(normalised)]

    def score(self, ds: datasets.Dataset, context: FilterContext) -> list[Measurement]:
        measurements = []
        for text in column(ds, "text"):
            matched = self.matches(text)
            measurements.append(Measurement(score=float(len(matched)), detail={"matched": matched}))
        return measurements

    def decide(
        self, measurements: Sequence[Measurement], eligible: Sequence[bool]
    ) -> list[Verdict]:
        verdicts = []
        for measurement in measurements:
            matched = measurement.detail["matched"]
            reason = f"boilerplate:{matched[0]}" if matched else PASS
            verdicts.append(Verdict(not matched, measurement.score, reason))
        return verdicts
