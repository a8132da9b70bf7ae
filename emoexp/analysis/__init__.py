"""Synthetic against real text: linguistic, diversity and realism measures.

`analyze` is imported lazily: the config schema imports this package for AnalysisConfig and
must not pay for scikit-learn and datasets at compose time.
"""

from __future__ import annotations

from typing import Any

__all__ = ["AnalysisConfig", "analyze"]


def __getattr__(name: str) -> Any:
    if name == "analyze":
        from emoexp.analysis.compare import analyze

        return analyze
    if name == "AnalysisConfig":
        from emoexp.analysis.config import AnalysisConfig

        return AnalysisConfig
    raise AttributeError(f"module 'emoexp.analysis' has no attribute {name!r}")
