"""Schema of the `gen/` group: which generation strategy and how many samples."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class GenConfig:
    # none, naive, shap, persona, conversation, multilingual
    strategy: str = "none"
    samples_per_label: int = 0
    seed: int = 0
