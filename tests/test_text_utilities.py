"""One refusal check, one tokenizer and one JSON extractor serve generation, filters and
analysis, so "a refusal" or "a word" means the same thing at every step."""

from __future__ import annotations

import pytest

from emoexp.filters.config import RefusalFilterConfig
from emoexp.filters.refusal import RefusalFilter
from emoexp.generation.replies import read_plain
from emoexp.text.refusal import refusal_patterns

NATURAL = "I cannot believe he did that to me again."
REFUSALS = [
    "As an AI language model, I cannot feel emotions.",
    "I'm sorry, but I can't help with that request.",
    "I cannot create content that promotes violence.",
]


def test_natural_sentence_passes_generation_and_filter() -> None:
    assert read_plain(NATURAL).ok
    assert RefusalFilter(RefusalFilterConfig()).matches(NATURAL) == []


@pytest.mark.parametrize("reply", REFUSALS)
def test_refusals_rejected_by_generation_and_filter(reply: str) -> None:
    parsed = read_plain(reply)
    assert parsed.reason == "refusal"
    assert RefusalFilter(RefusalFilterConfig()).matches(reply)


def test_generation_uses_the_filter_pattern_file() -> None:
    assert refusal_patterns().matches(REFUSALS[0]) == RefusalFilter(RefusalFilterConfig()).matches(
        REFUSALS[0]
    )
