"""Text normalisation shared by the filters, so "the same text" means one thing."""

from __future__ import annotations

import hashlib
import re
import unicodedata

WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


def words(text: str) -> list[str]:
    """Lower-cased word tokens; apostrophes inside a word stay ("don't", "i'm")."""
    return [token.replace("’", "'") for token in WORD.findall(text.lower())]


def normalise(text: str) -> str:
    """Case, width, punctuation and whitespace folded: the key of an exact duplicate."""
    return " ".join(words(unicodedata.normalize("NFKC", text)))


def text_hash(text: str) -> str:
    return hashlib.blake2b(normalise(text).encode("utf-8"), digest_size=12).hexdigest()
