"""Refusals and assistant boilerplate: an LLM talking about the task is not a data point."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import datasets

from emoexp.data.columns import column
from emoexp.filters.base import PASS, FilterContext, Measurement, TwoStepFilter, Verdict
from emoexp.filters.config import RefusalFilterConfig
from emoexp.text.refusal import load_refusal_patterns


class RefusalFilter(TwoStepFilter):
    name = "refusal"

    def __init__(self, cfg: RefusalFilterConfig) -> None:
        self.cfg = cfg
        self.patterns = load_refusal_patterns(cfg.patterns_file or None)

    def scoring_config(self) -> dict[str, Any]:
        return self.patterns.as_config()

    def matches(self, text: str, language: str = "en") -> list[str]:
        return self.patterns.matches(text, language)

    def score(self, ds: datasets.Dataset, context: FilterContext) -> list[Measurement]:
        measurements = []
        languages = column(ds, "language") if "language" in ds.column_names else None
        for row, text in enumerate(column(ds, "text")):
            language = str((languages[row] if languages else "") or "en").lower()
            matched = self.matches(text, language)
            detail: dict[str, Any] = {"matched": matched}
            if language != "en" and language not in self.patterns.by_language:
                detail["only_english_patterns"] = language
            measurements.append(Measurement(score=float(len(matched)), detail=detail))
        return measurements

    def decide(
        self, measurements: Sequence[Measurement], eligible: Sequence[bool]
    ) -> list[Verdict]:
        verdicts = []
        for measurement in measurements:
            matched = measurement.detail["matched"]
            partial = measurement.detail.get("only_english_patterns")
            reason = f"boilerplate:{matched[0]}" if matched else PASS
            if not matched and partial:
                reason = f"only_english_patterns:{partial}"
            verdicts.append(Verdict(not matched, measurement.score, reason))
        return verdicts
