"""Quality filters: each row gets a keep decision, a score and a reason."""

from emoexp.filters.apply import (
    FilterOutput,
    FilterScores,
    apply_filters,
    decide,
    score_rows,
    scoring_key,
)
from emoexp.filters.base import FilterContext, Measurement, QualityFilter, Verdict
from emoexp.filters.registry import FILTER_ORDER, build_filters
from emoexp.filters.report import write_filter_report

__all__ = [
    "FILTER_ORDER",
    "FilterContext",
    "FilterOutput",
    "FilterScores",
    "Measurement",
    "QualityFilter",
    "Verdict",
    "apply_filters",
    "build_filters",
    "decide",
    "score_rows",
    "scoring_key",
    "write_filter_report",
]
