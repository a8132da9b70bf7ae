"""Schema of the `filter/` group: quality filters and their thresholds."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class FilterConfig:
    enabled: bool = True
    min_confidence: float = 0.5
