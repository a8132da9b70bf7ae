"""The language table behind the multilingual strategy and the language checks of replies.

A table in a data file rather than code, so a researcher adds a language (or rewrites a
cultural hint) without touching Python, and a sweep over `gen.multilingual.languages` only
names codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

BUILTIN_TABLE = Path(__file__).with_name("languages.yaml")


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    native: str
    context: str


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
        language = Language(
            code=str(entry["code"]).lower(),
            name=str(entry["name"]),
            native=str(entry["native"]),
            context=str(entry["context"]).strip(),
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
