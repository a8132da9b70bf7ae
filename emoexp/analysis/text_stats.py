"""Tokenisation shared by the linguistic and diversity measures.

One simple Unicode word tokeniser for every language, so the real and the synthetic side are
always cut the same way; the measures compare corpora, they do not need linguistic tokens.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+(?:['’]\w+)*", re.UNICODE)


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens; an apostrophe inside a word keeps it whole (i'm, j'ai)."""
    return [token.replace("’", "'") for token in _WORD.findall(text.lower())]
