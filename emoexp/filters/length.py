"""Length bounds: fragments and run-on replies teach a classifier nothing useful."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import datasets

from emoexp.data.columns import column
from emoexp.filters.base import PASS, FilterContext, Measurement, TwoStepFilter, Verdict
from emoexp.filters.config import LengthFilterConfig
from emoexp.text.tokenize import token_count


class LengthFilter(TwoStepFilter):
    name = "length"

    def __init__(self, cfg: LengthFilterConfig) -> None:
        self.cfg = cfg

    def scoring_config(self) -> dict[str, Any]:
        return {}

    def score(self, ds: datasets.Dataset, context: FilterContext) -> list[Measurement]:
        return [
            Measurement(score=float(token_count(text)), detail={"chars": len(text.strip())})
            for text in column(ds, "text")
        ]

    def decide(
        self, measurements: Sequence[Measurement], eligible: Sequence[bool]
    ) -> list[Verdict]:
        cfg = self.cfg
        verdicts = []
        for measurement in measurements:
            tokens = int(measurement.score or 0)
            chars = int(measurement.detail["chars"])
            reason = PASS
            if chars < cfg.min_chars:
                reason = "too_few_chars"
            elif chars > cfg.max_chars:
                reason = "too_many_chars"
            elif tokens < cfg.min_tokens:
                reason = "too_few_tokens"
            elif tokens > cfg.max_tokens:
                reason = "too_many_tokens"
            verdicts.append(Verdict(reason == PASS, measurement.score, reason))
        return verdicts
