"""Refusals and assistant boilerplate in LLM replies, from one pattern file.

The file (`emoexp/filters/data/refusal_patterns.yaml` unless another is named) is the single
source of truth: generation rejects a plain reply that matches it, and the refusal filter drops
a row that matches it, so a sentence like "I cannot believe he did that" passes both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

DEFAULT_PATTERNS = (
    Path(__file__).resolve().parent.parent / "filters" / "data" / "refusal_patterns.yaml"
)


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


@dataclass(frozen=True)
class RefusalPatterns:
    """Patterns for every row, and per language code those added for rows in that language."""

    common: dict[str, re.Pattern[str]]
    by_language: dict[str, dict[str, re.Pattern[str]]] = field(default_factory=dict)

    def matches(self, text: str, language: str = "en") -> list[str]:
        """Names of the patterns the text matches (curly apostrophes read as straight)."""
        normalised = text.replace("’", "'")
        patterns = {**self.common, **self.by_language.get(language.lower(), {})}
        return [name for name, pattern in patterns.items() if pattern.search(normalised)]

    def as_config(self) -> dict[str, Any]:
        """The pattern sources, for a filter's cache key."""
        config: dict[str, Any] = {name: pattern.pattern for name, pattern in self.common.items()}
        if self.by_language:
            config["by_language"] = {
                code: {name: pattern.pattern for name, pattern in patterns.items()}
                for code, patterns in sorted(self.by_language.items())
            }
        return config


def load_refusal_patterns(path: str | Path | None = None) -> RefusalPatterns:
    """The patterns of a YAML file with `patterns:` and optional `by_language:` mappings."""
    path = Path(path or DEFAULT_PATTERNS)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    common = compile_patterns(data.get("patterns"), f"{path}: 'patterns'")
    by_language = {
        str(code).lower(): compile_patterns(raw, f"{path}: by_language.{code}")
        for code, raw in (data.get("by_language") or {}).items()
    }
    return RefusalPatterns(common, by_language)


@lru_cache(maxsize=8)
def refusal_patterns(path: str | None = None) -> RefusalPatterns:
    """The patterns of a file, read once per process."""
    return load_refusal_patterns(path)
