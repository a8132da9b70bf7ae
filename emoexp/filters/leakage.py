"""Label leakage: texts that name their emotion instead of expressing it.

The rule (documented for the report and the paper):
1. Self-report: a feeling or copula verb, optional intensifiers, then a word naming one of
   the row's own labels -- "I feel angry", "I'm so scared", "she was really happy",
   "feeling sad". Naming an emotion *other* than the row's labels is not leakage.
2. Mostly the label word: a text of at most `short_max_tokens` tokens in which the row's
   own label words make up at least `short_min_share` of the tokens -- "Angry. So angry."
Anything else passes, including longer texts that mention the word in passing ("my anger
at the landlord made me call the council"). Label words come from a per-label lexicon.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import datasets
import yaml

from emoexp.data.columns import column
from emoexp.filters.base import PASS, FilterContext, Measurement, TwoStepFilter, Verdict
from emoexp.filters.config import LeakageFilterConfig
from emoexp.text.tokenize import words

DEFAULT_LEXICON = Path(__file__).resolve().parent / "data" / "emotion_lexicon.yaml"

FEELING_VERBS = (
    r"feel|feels|feeling|felt|am|'m|is|'s|are|'re|was|were|be|been|being|get|gets|getting|got"
    r"|become|becomes|became|grow|grew|growing|seem|seems|seemed|look|looks|looked|sound|sounds"
)
INTENSIFIERS = (
    r"so|very|really|extremely|incredibly|quite|pretty|totally|truly|deeply|utterly|super"
    r"|absolutely|genuinely|completely|fairly|rather|terribly|a bit|a little|kind of|kinda"
    r"|sort of|more|most|too|just|still|now|also|even|always|somewhat|bit"
)


def load_lexicon(path: str | Path) -> dict[str, list[str]]:
    path = Path(path or DEFAULT_LEXICON)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict) or not data:
        raise ValueError(f"{path}: expected a mapping label -> list of emotion words")
    lexicon = {}
    for label, entries in data.items():
        if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
            raise ValueError(f"{path}: label {label!r} must map to a list of words")
        lexicon[str(label)] = sorted({entry.lower() for entry in entries})
    return lexicon


def self_report_pattern(label_words: Sequence[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(word) for word in sorted(label_words, key=len, reverse=True))
    return re.compile(
        rf"(?:\b|(?<=\w))(?:{FEELING_VERBS})[\s,]+(?:(?:{INTENSIFIERS})[\s,]+)*({alternatives})\b",
        re.IGNORECASE,
    )


class LeakageFilter(TwoStepFilter):
    name = "leakage"

    def __init__(self, cfg: LeakageFilterConfig) -> None:
        self.cfg = cfg
        self.lexicon = load_lexicon(cfg.lexicon_file)
        self.patterns: dict[str, re.Pattern[str]] = {}

    def scoring_config(self) -> dict[str, Any]:
        return {"lexicon": self.lexicon, "languages": sorted(self.cfg.languages)}

    def label_words(self, label: str) -> tuple[list[str], bool]:
        """The words naming `label`, and whether the label had no lexicon entry."""
        if label in self.lexicon:
            return self.lexicon[label], False
        return [label.lower()], True

    def pattern(self, label: str) -> re.Pattern[str]:
        if label not in self.patterns:
            self.patterns[label] = self_report_pattern(self.label_words(label)[0])
        return self.patterns[label]

    def measure(self, text: str, labels: Sequence[str]) -> Measurement:
        normalised = text.replace("’", "'")
        tokens = words(normalised)
        own_words: set[str] = set()
        fallback = []
        self_report = None
        for label in labels:
            label_words, missing = self.label_words(label)
            own_words.update(label_words)
            if missing:
                fallback.append(label)
            found = self.pattern(label).search(normalised)
            if found and self_report is None:
                self_report = found.group(0)
        hits = sum(token in own_words for token in tokens)
        share = hits / len(tokens) if tokens else 0.0
        detail: dict[str, Any] = {"tokens": len(tokens), "label_word_tokens": hits}
        if self_report:
            detail["self_report"] = self_report
        if fallback:
            detail["lexicon_fallback"] = fallback
        return Measurement(score=1.0 if self_report else round(share, 4), detail=detail)

    def score(self, ds: datasets.Dataset, context: FilterContext) -> list[Measurement]:
        texts, labels = column(ds, "text"), column(ds, "labels")
        languages = column(ds, "language") if "language" in ds.column_names else ["en"] * len(ds)
        known = {code.lower() for code in self.cfg.languages}
        return [
            self.measure(text, row_labels)
            if str(language or "en").lower() in known
            else Measurement(score=None, detail={"not_applied": str(language).lower()})
            for text, row_labels, language in zip(texts, labels, languages, strict=True)
        ]

    def decide(
        self, measurements: Sequence[Measurement], eligible: Sequence[bool]
    ) -> list[Verdict]:
        verdicts = []
        for measurement in measurements:
            detail = measurement.detail
            reason = PASS
            if "not_applied" in detail:
                # no lexicon for the row's language: kept, and counted in the report
                verdicts.append(Verdict(True, None, f"not_applied:{detail['not_applied']}"))
                continue
            if "self_report" in detail:
                reason = "names_own_emotion"
            elif (
                0 < detail["tokens"] <= self.cfg.short_max_tokens
                and detail["label_word_tokens"] / detail["tokens"] >= self.cfg.short_min_share
            ):
                reason = "mostly_label_word"
            verdicts.append(Verdict(reason == PASS, measurement.score, reason))
        return verdicts
