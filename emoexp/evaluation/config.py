"""Schema of the `eval/` group: where a trained classifier is scored, and how the synthetic
data is compared with the real data."""

from __future__ import annotations

from dataclasses import dataclass, field

from emoexp.analysis.config import AnalysisConfig


@dataclass
class EvalConfig:
    # human-annotated sets scored zero-shot beside the in-domain test split (data/ options)
    zero_shot: list[str] = field(default_factory=list)
    # tune per-class thresholds on validation for the tuned-F1 figures
    tune_thresholds: bool = True
    # a zero-shot set whose files are missing fails the job instead of being reported skipped
    require_all: bool = False
    # random cap on each zero-shot test split (null keeps every row)
    zero_shot_max_rows: int | None = None
    # share of kept synthetic rows held out of training and scored as an in-domain test
    # split of the synthetic data (0 trains on all of them)
    synthetic_holdout: float = 0.1
    # synthetic-against-real measures (linguistic, diversity, realism, optional LLM judge)
    analysis: AnalysisConfig = field(default_factory=AnalysisConfig)
