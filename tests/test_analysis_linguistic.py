"""Linguistic measures on hand-made texts whose values can be worked out on paper."""

from __future__ import annotations

import math

import pytest

from emoexp.analysis.linguistic import (
    hapax_share,
    linguistic_profile,
    linguistic_report,
    mtld,
    type_token_ratio,
)
from emoexp.text.tokenize import words as tokenize


def test_tokenize_keeps_contractions_and_lowercases() -> None:
    assert tokenize("I’m SO happy, aren't you?") == ["i'm", "so", "happy", "aren't", "you"]


def test_type_token_ratio_and_hapax_share() -> None:
    tokens = tokenize("the cat saw the dog")
    assert type_token_ratio(tokens) == pytest.approx(4 / 5)
    assert hapax_share(tokens) == pytest.approx(3 / 4)  # cat, saw, dog of the, cat, saw, dog


def test_mtld_counts_whole_factors_in_both_directions() -> None:
    # a b a -> TTR 2/3 <= 0.72 closes a factor: four tokens per factor, both ways
    assert mtld(["a", "b", "a", "b", "a", "b", "a", "b"]) == pytest.approx(4.0)


def test_mtld_counts_the_unfinished_segment_partly() -> None:
    # "a b c a" never falls to 0.72: its TTR 0.75 is (1 - 0.75) / (1 - 0.72) of a factor
    assert mtld(["a", "b", "c", "a"]) == pytest.approx(4 / (0.25 / 0.28))


def test_mtld_is_undefined_without_tokens() -> None:
    assert math.isnan(mtld([]))


def test_mtld_matches_lexicalrichness_on_real_text() -> None:
    from lexicalrichness import LexicalRichness

    text = (
        "I can't believe they did that to us again. Honestly I am so tired of this, every "
        "single time we ask for help they ignore us. Thank you so much for the flowers, they "
        "made my day! I was scared when the lights went out last night."
    ) * 3
    tokens = tokenize(text)
    reference = LexicalRichness(" ".join(tokens), preprocessor=lambda t: t, tokenizer=str.split)
    assert mtld(tokens) == pytest.approx(reference.mtld(threshold=0.72))


def test_first_person_rate_uses_the_language_lexicon() -> None:
    english = linguistic_profile(["I love my dog"], "en")
    assert english["first_person_rate"] == pytest.approx(2 / 4)
    spanish = linguistic_profile(["yo amo a mi perro"], "es")
    assert spanish["first_person_rate"] == pytest.approx(2 / 5)
    # the English lexicon does not know Spanish pronouns
    assert linguistic_profile(["yo amo a mi perro"], "en")["first_person_rate"] == 0.0


def test_temporal_expressions() -> None:
    text = "I saw her yesterday and 3 days ago, on Monday at 10:30"
    profile = linguistic_profile([text, "She may march on."], "en")
    tokens = len(tokenize(text)) + 4
    # yesterday, ago, Monday, 10:30; "may" and "march" are verbs here and do not count
    assert profile["temporal_per_100_tokens"] == pytest.approx(100 * 4 / tokens)
    assert profile["texts_with_temporal"] == pytest.approx(0.5)


def test_length_distribution() -> None:
    profile = linguistic_profile(["a", "a b", "a b c", "a b c d"], "en")
    assert profile["words_mean"] == pytest.approx(2.5)
    assert profile["words_median"] == pytest.approx(2.5)
    assert profile["words_p90"] == pytest.approx(3.7)
    assert profile["chars_mean"] == pytest.approx((1 + 3 + 5 + 7) / 4)


def test_report_groups_by_class_and_language() -> None:
    report = linguistic_report(
        ["I am happy today", "we are sad", "yo estoy feliz hoy"],
        [["joy"], ["sadness"], ["joy"]],
        ["en", "en", "es"],
    )
    assert set(report["per_class"]) == {"joy", "sadness"}
    assert report["per_class"]["joy"]["texts"] == 2
    assert set(report["per_language"]) == {"en", "es"}
    # each row is read with its own lexicon: "yo" counts in the overall figure
    assert report["overall"]["first_person_rate"] == pytest.approx(3 / 11)
    assert report["per_language"]["es"]["temporal_per_100_tokens"] == pytest.approx(100 / 4)
