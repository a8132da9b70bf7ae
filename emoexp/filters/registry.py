"""The filters, in the fixed order they are applied: cheap rules first, then the ones that
need an index, a classifier or an LLM. A rejected row's reason is its first failing
filter in this order."""

from __future__ import annotations

from emoexp.filters.base import QualityFilter
from emoexp.filters.config import FilterConfig
from emoexp.filters.dedup import DedupFilter
from emoexp.filters.judge import JudgeFilter
from emoexp.filters.label_consistency import LabelConsistencyFilter
from emoexp.filters.language import LanguageFilter
from emoexp.filters.leakage import LeakageFilter
from emoexp.filters.length import LengthFilter
from emoexp.filters.refusal import RefusalFilter

FILTER_ORDER = (
    "length",
    "refusal",
    "leakage",
    "language",
    "dedup",
    "label_consistency",
    "judge",
)


def enabled_filter_names(cfg: FilterConfig) -> list[str]:
    if not cfg.enabled:
        return []
    return [name for name in FILTER_ORDER if getattr(cfg, name).enabled]


def build_filter(name: str, cfg: FilterConfig) -> QualityFilter:
    if name == "length":
        return LengthFilter(cfg.length)
    if name == "refusal":
        return RefusalFilter(cfg.refusal)
    if name == "leakage":
        return LeakageFilter(cfg.leakage)
    if name == "language":
        return LanguageFilter(cfg.language)
    if name == "dedup":
        return DedupFilter(cfg.dedup)
    if name == "label_consistency":
        return LabelConsistencyFilter(cfg.label_consistency, cfg.label_consistency.threshold)
    if name == "judge":
        return JudgeFilter(cfg.judge)
    raise ValueError(f"unknown filter {name!r}; known: {FILTER_ORDER}")


def build_filters(cfg: FilterConfig) -> list[QualityFilter]:
    return [build_filter(name, cfg) for name in enabled_filter_names(cfg)]
