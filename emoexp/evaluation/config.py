"""Schema of the `eval/` group: where a trained classifier is scored."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class EvalConfig:
    # human-annotated sets scored zero-shot beside the in-domain test split (data/ options)
    zero_shot: list[str] = field(default_factory=list)
    # tune per-class thresholds on validation for the tuned-F1 figures
    tune_thresholds: bool = True
