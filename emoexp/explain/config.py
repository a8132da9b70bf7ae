"""Schema of the `explain/` group: SHAP keywords per class."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ExplainConfig:
    top_k: int = 20
    min_df: int = 2
    exemplars_per_class: int = 3
