"""What a sweep's report is for (the `report` node of an experiment config)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Question(str, Enum):
    """The protocol question a report answers; each has its own section."""

    generic = "generic"
    shap_vs_naive = "shap_vs_naive"
    persona_ablation = "persona_ablation"
    erc_supplement = "erc_supplement"
    multilingual_scale = "multilingual_scale"
    filter_sensitivity = "filter_sensitivity"


@dataclass
class ReportConfig:
    # which protocol section the sweep report writes: one of Question's names
    question: str = Question.generic.value
    # significance level of every test, after Holm correction over the report's tests
    alpha: float = 0.05
    # smallest difference in the main metric worth detecting: power is computed against it
    min_effect: float = 0.01
    # arms that kept fewer synthetic rows per job than this are flagged as too small
    min_kept_rows: int = 50
    # resamples of the per-example randomisation tests and bootstrap intervals
    instance_resamples: int = 1000
