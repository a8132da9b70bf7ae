"""The language table behind the multilingual strategy and the language checks of replies.

A table in a data file rather than code, so a researcher adds a language (or rewrites a
cultural hint) without touching Python, and a sweep over `gen.multilingual.languages` only
names codes.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

BUILTIN_TABLE = Path(__file__).with_name("languages.yaml")

# Tokens one post takes in a script, relative to the same post in English, measured with
# SmolLM2's English-centred tokenizer on the hand-written posts of
# tests/data/multilingual_posts.yaml (de 1.7, es 1.6, sw 1.8, ru 3.1, ar 3.3, ja 3.0,
# hi 4.0, ko 4.3 times English), rounded up: a multilingual tokenizer needs less, and a reply
# budget only caps what a reply may take. A language's `budget_factor` in the table wins.
SCRIPT_BUDGET_FACTORS = {
    "LATIN": 2.0,
    "CYRILLIC": 3.5,
    "GREEK": 3.5,
    "ARABIC": 3.5,
    "HEBREW": 3.5,
    "CJK": 3.5,
    "HIRAGANA": 3.5,
    "KATAKANA": 3.5,
    "HANGUL": 4.5,
}
# any other script (Devanagari, Bengali, Tamil, Thai, ...)
OTHER_SCRIPT_BUDGET_FACTOR = 4.5


def script_of(text: str) -> str:
    """The Unicode script name of the first letter of `text` ("LATIN", "DEVANAGARI", ...)."""
    for char in text:
        if char.isalpha():
            return unicodedata.name(char, "UNKNOWN").split()[0]
    return "UNKNOWN"


def default_budget_factor(code: str, native: str) -> float:
    if code == "en":
        return 1.0
    return SCRIPT_BUDGET_FACTORS.get(script_of(native), OTHER_SCRIPT_BUDGET_FACTOR)


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    native: str
    context: str
    # how many times an English post's reply budget a post in this language gets
    budget_factor: float = 1.0


@lru_cache(maxsize=8)
def _load(path: str) -> dict[str, Language]:
    entries = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected a list of languages, got {type(entries).__name__}")
    table: dict[str, Language] = {}
    for position, entry in enumerate(entries):
        missing = {"code", "name", "native", "context"} - set(entry or {})
        if missing:
            raise ValueError(f"{path}: entry {position} lacks {sorted(missing)}")
        code, native = str(entry["code"]).lower(), str(entry["native"])
        factor = entry.get("budget_factor", default_budget_factor(code, native))
        if not isinstance(factor, int | float) or factor <= 0:
            raise ValueError(f"{path}: entry {position} ({code}): budget_factor must be > 0")
        language = Language(
            code=code,
            name=str(entry["name"]),
            native=native,
            context=str(entry["context"]).strip(),
            budget_factor=float(factor),
        )
        table[language.code] = language
    return table


def load_languages(path: str | Path | None = None) -> dict[str, Language]:
    """ISO code -> Language, from `path` or the built-in table."""
    return _load(str(Path(path) if path else BUILTIN_TABLE))


def get_language(code: str, path: str | Path | None = None) -> Language:
    table = load_languages(path)
    found = table.get(code.lower()) or identify_language(code, path)
    if found is None:
        raise ValueError(f"unknown language {code!r}; known codes: {', '.join(sorted(table))}")
    return found


def identify_language(stated: str, path: str | Path | None = None) -> Language | None:
    """The language a reply names (a code, an English name or a native name), if any."""
    wanted = stated.strip().lower()
    for language in load_languages(path).values():
        names = {language.code, language.name.lower(), language.native.lower()}
        # "Mandarin Chinese" is also stated as "Mandarin" or "Chinese"
        names.update(part for part in language.name.lower().split() if len(part) > 3)
        if wanted in names:
            return language
    return None
