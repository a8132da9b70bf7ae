"""Word tokens and text normalisation, so "a word" and "the same text" mean one thing in
the filters, the analysis measures and the generation checks."""

from __future__ import annotations

import hashlib
import re
import unicodedata

WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


def words(text: str) -> list[str]:
    """Lower-cased word tokens; apostrophes inside a word stay ("don't", "i'm")."""
    return [token.replace("’", "'") for token in WORD.findall(text.lower())]


# scripts written without spaces between words: each character counts as a token there
UNSPACED = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
)


def token_count(text: str) -> int:
    """Word tokens, counting characters of unspaced scripts (Chinese, Japanese, Thai, ...)
    one by one, so length bounds mean about the same in every language."""
    return sum(max(1, len(UNSPACED.findall(token))) for token in words(text))


def normalise(text: str) -> str:
    """Case, width, punctuation and whitespace folded: the key of an exact duplicate."""
    return " ".join(words(unicodedata.normalize("NFKC", text)))


def text_hash(text: str) -> str:
    return hashlib.blake2b(normalise(text).encode("utf-8"), digest_size=12).hexdigest()
