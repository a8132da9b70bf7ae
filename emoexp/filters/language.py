"""Language check: a row asked for in one language must be written in it.

lingua ships its models in the wheel, so this runs offline. The detector is built only for
the languages the rows ask for plus a few common confusers: loading every language model
costs seconds and gigabytes and makes short texts noisier. The score is lingua's
confidence for the asked language, relative to the detector's languages.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import datasets
from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

from emoexp.data.columns import column
from emoexp.filters.base import PASS, FilterContext, Measurement, TwoStepFilter, Verdict
from emoexp.filters.config import LanguageFilterConfig
from emoexp.text.tokenize import token_count


def lingua_language(code: str) -> Language | None:
    """The lingua Language for an ISO 639-1 code; None when lingua does not know it."""
    iso = getattr(IsoCode639_1, code.strip().upper(), None) if code.strip() else None
    if iso is None:
        return None
    try:
        return Language.from_iso_code_639_1(iso)
    except ValueError:
        return None


def build_detector(codes: Sequence[str], low_accuracy: bool) -> LanguageDetector:
    languages = {language for code in codes if (language := lingua_language(code)) is not None}
    if len(languages) < 2:  # lingua needs two languages to compare
        languages |= {Language.ENGLISH, Language.FRENCH}
    return cached_detector(frozenset(languages), low_accuracy)


@lru_cache(maxsize=4)
def cached_detector(languages: frozenset[Language], low_accuracy: bool) -> LanguageDetector:
    """Detectors load their models lazily (seconds per language); reuse them across calls."""
    builder = LanguageDetectorBuilder.from_languages(*sorted(languages, key=lambda lang: lang.name))
    if low_accuracy:
        builder = builder.with_low_accuracy_mode()
    return builder.build()


class LanguageFilter(TwoStepFilter):
    name = "language"

    def __init__(self, cfg: LanguageFilterConfig) -> None:
        self.cfg = cfg

    def scoring_config(self) -> dict[str, Any]:
        return {"confusers": sorted(self.cfg.confusers), "low_accuracy": self.cfg.low_accuracy}

    def score(self, ds: datasets.Dataset, context: FilterContext) -> list[Measurement]:
        asked_codes = [code or "" for code in column(ds, "language")]
        detector = build_detector(
            sorted(set(asked_codes) | set(self.cfg.confusers)), self.cfg.low_accuracy
        )
        measurements = []
        for text, code in zip(column(ds, "text"), asked_codes, strict=True):
            asked = lingua_language(code)
            detail: dict[str, Any] = {"asked": code, "words": token_count(text)}
            if asked is None:
                detail["unsupported"] = True
                measurements.append(Measurement(score=None, detail=detail))
                continue
            values = detector.compute_language_confidence_values(text)
            top = values[0] if values and values[0].value > 0 else None
            detail["detected"] = top.language.iso_code_639_1.name.lower() if top else None
            confidence = next((v.value for v in values if v.language == asked), 0.0)
            measurements.append(Measurement(score=round(float(confidence), 4), detail=detail))
        return measurements

    def decide(
        self, measurements: Sequence[Measurement], eligible: Sequence[bool]
    ) -> list[Verdict]:
        verdicts = []
        for measurement in measurements:
            detail = measurement.detail
            if detail.get("unsupported"):
                verdicts.append(Verdict(True, None, "language_not_checked:unsupported_code"))
            elif detail["words"] < self.cfg.min_words:
                verdicts.append(Verdict(True, measurement.score, "language_not_checked:too_short"))
            elif (measurement.score or 0.0) < self.cfg.min_confidence:
                verdicts.append(Verdict(False, measurement.score, "wrong_language"))
            else:
                verdicts.append(Verdict(True, measurement.score, PASS))
        return verdicts
