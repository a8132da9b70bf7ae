"""Refusals and assistant boilerplate: an LLM talking about the task is not a data point."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import datasets
import yaml

from emoexp.filters.base import PASS, FilterContext, Measurement, TwoStepFilter, Verdict, column
from emoexp.filters.config import RefusalFilterConfig

DEFAULT_PATTERNS = Path(__file__).resolve().parent / "data" / "refusal_patterns.yaml"


def compile_patterns(raw: Any, where: str) -> dict[str, re.Pattern[str]]:
    if not isinstance(raw, dict) or not raw:
        raise ValueError(f"{where}: expected a non-empty mapping of name -> regex")
    compiled = {}
    for name, pattern in raw.items():
        try:
            compiled[str(name)] = re.compile(str(pattern), re.IGNORECASE | re.MULTILINE)
        except re.error as error:
            raise ValueError(f"{where}: pattern {name!r} is not a valid regex: {error}") from error
    return compiled


def load_patterns(path: str | Path) -> dict[str, re.Pattern[str]]:
    """The patterns applied to every row (English boilerplate)."""
    return load_pattern_sets(path)[0]


def load_pattern_sets(
    path: str | Path,
) -> tuple[dict[str, re.Pattern[str]], dict[str, dict[str, re.Pattern[str]]]]:
    """Patterns for every row, and per language code those added for rows in it."""
    path = Path(path or DEFAULT_PATTERNS)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    common = compile_patterns(data.get("patterns"), f"{path}: 'patterns'")
    by_language = {
        str(code).lower(): compile_patterns(raw, f"{path}: by_language.{code}")
        for code, raw in (data.get("by_language") or {}).items()
    }
    return common, by_language


class RefusalFilter(TwoStepFilter):
    name = "refusal"

    def __init__(self, cfg: RefusalFilterConfig) -> None:
        self.cfg = cfg
        self.patterns, self.by_language = load_pattern_sets(cfg.patterns_file)

    def scoring_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {name: pattern.pattern for name, pattern in self.patterns.items()}
        if self.by_language:
            config["by_language"] = {
                code: {name: pattern.pattern for name, pattern in patterns.items()}
                for code, patterns in sorted(self.by_language.items())
            }
        return config

    def matches(self, text: str, language: str = "en") -> list[str]:
        normalised = text.replace("’", "'")
        patterns = {**self.patterns, **self.by_language.get(language, {})}
        return [name for name, pattern in patterns.items() if pattern.search(normalised)]

    def score(self, ds: datasets.Dataset, context: FilterContext) -> list[Measurement]:
        measurements = []
        languages = column(ds, "language") if "language" in ds.column_names else None
        for row, text in enumerate(column(ds, "text")):
            language = str((languages[row] if languages else "") or "en").lower()
            matched = self.matches(text, language)
            detail: dict[str, Any] = {"matched": matched}
            if language != "en" and language not in self.by_language:
                detail["only_english_patterns"] = language
            measurements.append(Measurement(score=float(len(matched)), detail=detail))
        return measurements

    def decide(
        self, measurements: Sequence[Measurement], eligible: Sequence[bool]
    ) -> list[Verdict]:
        verdicts = []
        for measurement in measurements:
            matched = measurement.detail["matched"]
            partial = measurement.detail.get("only_english_patterns")
            reason = f"boilerplate:{matched[0]}" if matched else PASS
            if not matched and partial:
                reason = f"only_english_patterns:{partial}"
            verdicts.append(Verdict(not matched, measurement.score, reason))
        return verdicts
