"""Linguistic profile of a corpus: lexical richness, self-reference, time anchoring, length.

Synthetic emotional text tends to be lexically poorer, more formulaic and less anchored in
a personal, dated situation than what people write; these measures make that visible per
class and per language.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from lexicalrichness import LexicalRichness

from emoexp.text.tokenize import words as tokenize

LEXICON_FILE = Path(__file__).with_name("lexicons.yaml")
MTLD_THRESHOLD = 0.72


@lru_cache(maxsize=1)
def _lexicons() -> dict[str, Any]:
    return yaml.safe_load(LEXICON_FILE.read_text(encoding="utf-8"))


@lru_cache(maxsize=16)
def first_person_lexicon(language: str) -> frozenset[str]:
    """First-person pronouns of `language`; English when the language has no list."""
    lists = _lexicons()["first_person"]
    return frozenset(lists.get(language, lists["en"]))


@lru_cache(maxsize=16)
def temporal_pattern(language: str) -> re.Pattern[str]:
    """One alternation of the language's temporal expressions, matched on word bounds."""
    lists = _lexicons()["temporal"]
    parts = lists.get(language, lists["en"])
    return re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in parts) + r")\b", re.IGNORECASE)


def type_token_ratio(tokens: Sequence[str]) -> float:
    return len(set(tokens)) / len(tokens) if tokens else float("nan")


def hapax_share(tokens: Sequence[str]) -> float:
    """Share of word types that occur exactly once."""
    counts = Counter(tokens)
    if not counts:
        return float("nan")
    return sum(1 for c in counts.values() if c == 1) / len(counts)


def mtld(tokens: Sequence[str], threshold: float = MTLD_THRESHOLD) -> float:
    """Measure of Textual Lexical Diversity (McCarthy & Jarvis 2010) as `lexicalrichness`
    computes it (mean of both directions), on the tokens given.

    Unlike TTR it does not fall with corpus size, so corpora of different sizes compare.
    NaN when there are no tokens or no segment ever falls to the threshold.
    """
    if not tokens:
        return float("nan")
    words = list(tokens)
    richness = LexicalRichness(" ".join(words), preprocessor=_unchanged, tokenizer=lambda _: words)
    try:
        value = float(richness.mtld(threshold=threshold))
    except ZeroDivisionError:
        return float("nan")
    return value if math.isfinite(value) else float("nan")


def _unchanged(text: str) -> str:
    return text


def _distribution(values: Sequence[int]) -> dict[str, float]:
    if not values:
        return {"mean": float("nan"), "median": float("nan"), "p90": float("nan")}
    array = np.asarray(values, dtype=float)
    return {
        "mean": float(array.mean()),
        "median": float(np.median(array)),
        "p90": float(np.percentile(array, 90)),
    }


def linguistic_profile(
    texts: Sequence[str], languages: str | Sequence[str] = "en"
) -> dict[str, float]:
    """Corpus-level measures of `texts`, flat and JSON-ready. `languages` is one code for all
    texts or one per text: each text is read with its own language's lexicons."""
    row_languages = [languages] * len(texts) if isinstance(languages, str) else list(languages)
    tokenised = [tokenize(text) for text in texts]
    stream = [token for tokens in tokenised for token in tokens]
    pronoun_hits = [
        sum(1 for t in tokens if t in first_person_lexicon(lang))
        for tokens, lang in zip(tokenised, row_languages, strict=True)
    ]
    temporal_hits = [
        len(temporal_pattern(lang).findall(text))
        for text, lang in zip(texts, row_languages, strict=True)
    ]
    n_tokens = len(stream)
    n_texts = len(texts)
    profile: dict[str, float] = {
        "texts": float(n_texts),
        "tokens": float(n_tokens),
        "type_token_ratio": type_token_ratio(stream),
        "mtld": mtld(stream),
        "hapax_share": hapax_share(stream),
        "first_person_rate": sum(pronoun_hits) / n_tokens if n_tokens else float("nan"),
        "texts_with_first_person": (
            sum(1 for h in pronoun_hits if h) / n_texts if n_texts else float("nan")
        ),
        "temporal_per_100_tokens": 100 * sum(temporal_hits) / n_tokens
        if n_tokens
        else float("nan"),
        "texts_with_temporal": (
            sum(1 for h in temporal_hits if h) / n_texts if n_texts else float("nan")
        ),
    }
    for name, lengths in (
        ("chars", [len(text) for text in texts]),
        ("words", [len(tokens) for tokens in tokenised]),
    ):
        for stat, value in _distribution(lengths).items():
            profile[f"{name}_{stat}"] = value
    return profile


def _grouped(keys: Iterable[Iterable[str]]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for index, row_keys in enumerate(keys):
        for key in row_keys:
            groups[key].append(index)
    return dict(groups)


def linguistic_report(
    texts: Sequence[str], labels: Sequence[Sequence[str]], languages: Sequence[str]
) -> dict[str, Any]:
    """Profile overall, per class (a multi-label row counts for each of its labels) and per
    language."""
    languages = [lang or "en" for lang in languages]

    def subset(idx: list[int]) -> dict[str, float]:
        return linguistic_profile([texts[i] for i in idx], [languages[i] for i in idx])

    return {
        "overall": linguistic_profile(texts, languages),
        "per_class": {k: subset(v) for k, v in sorted(_grouped(labels).items())},
        "per_language": {k: subset(v) for k, v in sorted(_grouped([x] for x in languages).items())},
    }
