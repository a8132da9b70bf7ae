"""Rule filters on real GoEmotions rows: length, refusal, leakage and language."""

from __future__ import annotations

from pathlib import Path

import datasets
import pytest
from helpers.rows import labelled_rows

from emoexp.data.config import DataConfig
from emoexp.data.loading import load_corpus
from emoexp.filters.base import FilterContext, Verdict
from emoexp.filters.config import (
    LanguageFilterConfig,
    LeakageFilterConfig,
    LengthFilterConfig,
    RefusalFilterConfig,
)
from emoexp.filters.language import LanguageFilter
from emoexp.filters.leakage import LeakageFilter
from emoexp.filters.length import LengthFilter
from emoexp.filters.refusal import RefusalFilter
from emoexp.text.tokenize import words

CONTEXT = FilterContext(taxonomy=None)


@pytest.fixture(scope="module")
def goemotions_train(data_dir: Path) -> datasets.Dataset:
    return load_corpus(DataConfig(), str(data_dir)).splits["train"]


def synthetic(items: list[tuple[str, list[str]] | tuple[str, list[str], str]]) -> datasets.Dataset:
    return labelled_rows(items, taxonomy="goemotions", encode=False, prefix="s")


def reasons(verdicts: list[Verdict]) -> list[str]:
    return [verdict.reason for verdict in verdicts]


def test_length_bounds_on_real_rows(goemotions_train: datasets.Dataset) -> None:
    texts = goemotions_train.select(range(3000))["text"]
    short = next(t for t in texts if len(words(t)) == 3 and len(t.strip()) >= 10)
    medium = next(t for t in texts if 8 <= len(words(t)) <= 15 and len(t.strip()) <= 80)
    longer = next(t for t in texts if len(words(t)) > 15 and len(t.strip()) <= 80)
    cfg = LengthFilterConfig(min_chars=10, max_chars=80, min_tokens=5, max_tokens=15)
    items = [(short, ["joy"]), (medium, ["joy"]), ("Wow!", ["surprise"]), (longer, ["joy"])]
    ds = synthetic([*items, ("word " * 30, ["joy"])])
    verdicts = LengthFilter(cfg).evaluate(ds, CONTEXT)
    assert reasons(verdicts) == [
        "too_few_tokens",
        "ok",
        "too_few_chars",
        "too_many_tokens",
        "too_many_chars",
    ]
    assert verdicts[0].score == 3.0
    assert verdicts[1].score == float(len(words(medium)))


def test_length_thresholds_only_change_decisions() -> None:
    ds = synthetic([("one two three four five six", ["joy"]), ("one two", ["joy"])])
    lenient, strict = (
        LengthFilter(LengthFilterConfig(min_chars=1, min_tokens=2)),
        LengthFilter(LengthFilterConfig(min_chars=1, min_tokens=6)),
    )
    measurements = lenient.score(ds, CONTEXT)
    assert [v.keep for v in lenient.decide(measurements, [True, True])] == [True, True]
    assert [v.keep for v in strict.decide(measurements, [True, True])] == [True, False]


def test_refusals_and_boilerplate_are_caught_real_text_passes(
    goemotions_train: datasets.Dataset,
) -> None:
    replies = [
        "As an AI language model, I don't have feelings, but here is an angry text.",
        "I'm sorry, but I can't help with that request.",
        "Sure, here is a text that expresses joy: I finally got the job!",
        "Here are three examples of sad sentences:",
        "Emotion: anger",
        "I hope this helps! Let me know if you need more examples.",
        "I cannot create content that promotes violence.",
    ]
    natural = [
        "I cannot believe he did that to me.",
        "I can't help feeling sad about the whole thing.",
        "I'm sorry, but you are wrong about this one.",
        "Here is my story about losing my dad last year.",
    ]
    ds = synthetic([(text, ["anger"]) for text in replies + natural])
    verdicts = RefusalFilter(RefusalFilterConfig()).evaluate(ds, CONTEXT)
    assert [v.keep for v in verdicts] == [False] * len(replies) + [True] * len(natural)
    assert verdicts[0].reason == "boilerplate:as_an_ai"
    assert all(v.reason.startswith("boilerplate:") for v in verdicts[: len(replies)])

    real = goemotions_train.select(range(5000))
    real_verdicts = RefusalFilter(RefusalFilterConfig()).evaluate(real, CONTEXT)
    flagged = sum(not v.keep for v in real_verdicts)
    assert flagged <= 10, [
        t for t, v in zip(real["text"], real_verdicts, strict=True) if not v.keep
    ]


def test_refusal_patterns_file_errors_name_the_pattern(tmp_path: Path) -> None:
    patterns = tmp_path / "patterns.yaml"
    patterns.write_text("patterns:\n  broken: '(unclosed'\n")
    with pytest.raises(ValueError, match="'broken' is not a valid regex"):
        RefusalFilter(RefusalFilterConfig(patterns_file=str(patterns)))


def test_leakage_drops_texts_naming_their_own_emotion() -> None:
    items = [
        ("I feel angry.", ["anger"]),
        ("I am so, so angry right now about everything", ["anger"]),
        ("I’m really scared of what the doctor will say tomorrow", ["fear"]),
        ("Angry. So angry.", ["anger"]),
        ("Feeling happy today", ["joy"]),
        # not leakage: other emotion named, negated, or a passing mention in a longer text
        ("I feel angry.", ["joy"]),
        ("I was not happy about it at all honestly", ["disappointment"]),
        ("My anger at the landlord made me call the council this morning", ["anger"]),
        ("He slammed the door and didn't speak to anyone for hours", ["anger"]),
    ]
    verdicts = LeakageFilter(LeakageFilterConfig()).evaluate(synthetic(items), CONTEXT)
    assert reasons(verdicts) == [
        "names_own_emotion",
        "names_own_emotion",
        "names_own_emotion",
        "mostly_label_word",
        "names_own_emotion",
        "ok",
        "ok",
        "ok",
        "ok",
    ]


def test_leakage_lexicon_file_and_fallback(tmp_path: Path) -> None:
    lexicon = tmp_path / "lexicon.yaml"
    lexicon.write_text("anger: [livid]\n")
    leakage = LeakageFilter(LeakageFilterConfig(lexicon_file=str(lexicon)))
    ds = synthetic(
        [("I am livid", ["anger"]), ("I feel angry today", ["anger"]), ("so awe", ["awe"])]
    )
    verdicts = leakage.evaluate(ds, CONTEXT)
    assert [v.keep for v in verdicts] == [False, True, False]  # "angry" is not in this lexicon
    assert leakage.score(ds, CONTEXT)[2].detail["lexicon_fallback"] == ["awe"]


def test_language_rejects_french_tagged_english_keeps_english(
    goemotions_train: datasets.Dataset,
) -> None:
    english = [t for t in goemotions_train.select(range(300))["text"] if len(t.split()) >= 8][:20]
    french = "Je suis vraiment furieux contre mon propriétaire, il a gardé toute la caution."
    german = "Ich bin so wütend auf meinen Vermieter, er hat die ganze Kaution behalten."
    items: list = [(text, ["neutral"]) for text in english]
    items += [
        (french, ["anger"]),
        (french, ["anger"], "fr"),
        (german, ["anger"], "de"),
        ("ok lol", ["joy"]),
    ]
    items += [("Sawa kabisa, nimefurahi sana leo", ["joy"], "xx")]
    language = LanguageFilter(LanguageFilterConfig())
    measurements = language.score(synthetic(items), CONTEXT)
    verdicts = language.decide(measurements, [True] * len(items))
    assert all(v.keep for v in verdicts[:20]), [v for v in verdicts[:20] if not v.keep]
    assert verdicts[20] == Verdict(False, measurements[20].score, "wrong_language")
    assert measurements[20].detail["detected"] == "fr"
    assert verdicts[21].keep and verdicts[22].keep  # French and German asked for and written
    assert verdicts[23].reason == "language_not_checked:too_short"
    assert verdicts[24].reason == "language_not_checked:unsupported_code"
