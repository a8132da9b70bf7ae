"""Quality filters: each row gets a keep decision, a score and a reason.

Names are imported lazily: the config schema imports `emoexp.filters.config`, and composing
a config must not wait for datasets, scikit-learn or torch.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_EXPORTS = {
    "FilterOutput": "emoexp.filters.apply",
    "FilterScores": "emoexp.filters.apply",
    "apply_filters": "emoexp.filters.apply",
    "decide": "emoexp.filters.apply",
    "score_rows": "emoexp.filters.apply",
    "scoring_key": "emoexp.filters.apply",
    "FilterContext": "emoexp.filters.base",
    "Measurement": "emoexp.filters.base",
    "QualityFilter": "emoexp.filters.base",
    "Verdict": "emoexp.filters.base",
    "FILTER_ORDER": "emoexp.filters.registry",
    "build_filters": "emoexp.filters.registry",
    "write_filter_report": "emoexp.filters.report",
}

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


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'emoexp.filters' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
