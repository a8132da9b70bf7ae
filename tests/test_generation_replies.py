"""Reply cleaning and validation, label planning, templates and the language table."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest

from emoexp.data.schema import Row, rows_to_dataset
from emoexp.data.taxonomy import load_taxonomy
from emoexp.generation.config import GenConfig
from emoexp.generation.languages import get_language, identify_language, load_languages
from emoexp.generation.planning import (
    LabelCombiner,
    largest_remainder,
    plan_label_sets,
    primary_label_counts,
)
from emoexp.generation.prompts import TEMPLATE_DIR, emotion_phrase, load_template
from emoexp.generation.replies import (
    clean_reply,
    read_dialogue_lines,
    read_json_dialogue,
    read_json_sample,
    read_plain,
    trim_incomplete_tail,
)

LABELS = ("anger", "fear", "joy", "neutral", "sadness")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (
            'Sure! Here is a short post expressing joy:\n\n"I finally got the job!"',
            "I finally got the job!",
        ),
        ("Here's a social media post: I can't stop smiling today.", "I can't stop smiling today."),
        (
            "Assistant: Text: “Why does nobody ever listen to me?”",
            "Why does nobody ever listen to me?",
        ),
        ("Okay, I am furious right now.", "Okay, I am furious right now."),
        ("Ugh. Missed the bus again.\n\nI hope this helps!", "Ugh. Missed the bus again."),
        ("I love this. Can't wait to see what", "I love this."),
        ("Best day ever 😀 and then the", "Best day ever 😀"),
        ("**Post:** So tired of this.", "So tired of this."),
        ("```\nNothing will ever change.\n```", "Nothing will ever change."),
    ],
)
def test_clean_reply_removes_chat_wrapping(raw: str, clean: str) -> None:
    assert clean_reply(raw) == clean


def test_clean_reply_strips_speaker_names_given() -> None:
    assert clean_reply("Maya: No way, you did that?", extra_prefixes=["Maya"]) == (
        "No way, you did that?"
    )
    # a name that is not a speaker stays: it may be part of the text
    assert clean_reply("Maya: No way?") == "Maya: No way?"


def test_dialogue_line_keeps_the_first_utterance_only() -> None:
    raw = "Nora: I'm going to eat.\nDebra: How's your sister doing?"
    assert clean_reply(raw, extra_prefixes=["Nora", "Jordan"], dialogue_line=True) == (
        "I'm going to eat."
    )
    assert clean_reply("Rumor: Address me directly.", dialogue_line=True) == "Address me directly."
    assert clean_reply("Dear Sarah,\n\nI hope this message finds you well.") == (
        "Dear Sarah, I hope this message finds you well."
    )


def test_trim_keeps_single_unterminated_sentence() -> None:
    assert trim_incomplete_tail("so happy right now") == "so happy right now"
    assert trim_incomplete_tail("Done! Finally") == "Done!"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty_reply"),
        ('""', "empty_reply"),
        ("Sure! Here is a post:", "empty_reply"),
        ("😀😀", "too_short"),
        ("As an AI language model, I cannot feel emotions.", "refusal"),
    ],
)
def test_read_plain_rejects_unusable(raw: str, reason: str) -> None:
    parsed = read_plain(raw)
    assert not parsed.ok
    assert parsed.reason == reason


def test_read_plain_without_trim_keeps_the_tail() -> None:
    assert read_plain("Great. And then", trim_incomplete=False).value == "Great. And then"


def test_json_sample_valid_in_prose_and_fence() -> None:
    raw = 'Here you go:\n```json\n{"text": "I hate Mondays", "emotions": ["Anger", "sadness"]}\n```'
    parsed = read_json_sample(raw, labels=LABELS)
    assert parsed.ok and parsed.json_ok
    assert parsed.value.text == "I hate Mondays"
    assert parsed.value.labels == ("anger", "sadness")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("I hate Mondays", "not_json"),
        ('{"text": "I hate Mondays", "emotions": ["ang', "not_json"),
        ('{"emotions": ["anger"]}', "missing_text"),
        ('{"text": "  ", "emotions": ["anger"]}', "missing_text"),
        ('{"text": "x y z", "emotions": ["rage"]}', "labels_outside_taxonomy"),
        ('{"text": "x y z", "emotions": []}', "no_labels"),
        ('{"text": "x y z", "emotions": ["joy"], "language": "French"}', "wrong_language"),
        ('{"text": "x y z"}', "no_labels"),
        ('["joy", "anger"]', "not_an_object"),
    ],
)
def test_json_sample_rejections(raw: str, reason: str) -> None:
    parsed = read_json_sample(raw, labels=LABELS, language="de")
    assert parsed.reason == reason


def test_json_sample_language_by_code_or_native_name() -> None:
    for stated in ("de", "German", "Deutsch"):
        raw = json.dumps({"text": "Ich freue mich", "emotions": ["joy"], "language": stated})
        assert read_json_sample(raw, labels=LABELS, language="de").ok


def test_json_dialogue_validation() -> None:
    good = json.dumps(
        {
            "turns": [
                {"speaker": "Alex", "text": "You came!", "emotion": "joy"},
                {"speaker": "Sam", "text": "I almost did not.", "emotion": "sadness"},
            ]
        }
    )
    parsed = read_json_dialogue(good, labels=LABELS)
    assert parsed.ok
    assert [(t.speaker, t.labels) for t in parsed.value] == [
        ("Alex", ("joy",)),
        ("Sam", ("sadness",)),
    ]
    one_speaker = json.dumps([{"speaker": "Alex", "text": "a b", "emotion": "joy"}] * 3)
    assert read_json_dialogue(one_speaker, labels=LABELS).reason == "too_few_speakers"
    bad_label = json.dumps(
        [
            {"speaker": "Alex", "text": "a b", "emotion": "joy"},
            {"speaker": "Sam", "text": "a b", "emotion": "bliss"},
        ]
    )
    assert read_json_dialogue(bad_label, labels=LABELS).reason == "labels_outside_taxonomy"


def test_dialogue_lines_keep_only_planned_speakers() -> None:
    raw = (
        "Sure, here it is:\nAlex: Hey, you made it!\nNarrator: They hug.\n"
        "**Sam**: Barely. Traffic was"
    )
    parsed = read_dialogue_lines(raw, speakers=["Alex", "Sam"])
    assert parsed.value == [("Alex", "Hey, you made it!"), ("Sam", "Barely.")]


def _seed(rows: list[list[str]]) -> object:
    taxonomy = load_taxonomy("emo11")
    return rows_to_dataset(
        [
            Row(
                id=f"r{i}",
                text=f"text {i}",
                labels=labels,
                multi_hot=taxonomy.multi_hot(labels),
                taxonomy="emo11",
            )
            for i, labels in enumerate(rows)
        ]
    )


def test_largest_remainder_sums_and_is_proportional() -> None:
    counts = largest_remainder(10, {"a": 1.0, "b": 1.0, "c": 1.0})
    assert sum(counts.values()) == 10
    assert counts == {"a": 4, "b": 3, "c": 3}
    assert largest_remainder(5, {"a": 0.0, "b": 0.0}) == {"a": 0, "b": 0}


def test_fill_underrepresented_favours_rare_classes() -> None:
    taxonomy = load_taxonomy("emo11")
    seed = _seed([["joy"]] * 40 + [["anger"]] * 20 + [["fear"]] * 2)
    cfg = GenConfig(
        strategy="naive", samples_per_label=4, label_distribution="fill_underrepresented"
    )
    counts = primary_label_counts(cfg, taxonomy.labels, seed)
    assert sum(counts.values()) == 44
    assert counts["joy"] == 0
    assert counts["fear"] > counts["anger"]
    seed_like = primary_label_counts(
        GenConfig(samples_per_label=4, label_distribution="seed"), taxonomy.labels, seed
    )
    assert seed_like["joy"] > seed_like["anger"] > seed_like["fear"]
    assert seed_like["gratitude"] == 0


def test_target_distribution_overrides_and_is_validated() -> None:
    labels = load_taxonomy("emo11").labels
    cfg = GenConfig(samples_per_label=9, target_distribution={"joy": 3, "fear": 1})
    counts = primary_label_counts(cfg, labels, None)
    assert counts["joy"] == 3 and counts["fear"] == 1 and sum(counts.values()) == 4
    with pytest.raises(ValueError, match="outside the taxonomy"):
        primary_label_counts(GenConfig(target_distribution={"bliss": 2}), labels, None)
    with pytest.raises(ValueError, match="needs a seed set"):
        primary_label_counts(
            GenConfig(samples_per_label=1, label_distribution="seed"), labels, None
        )


def test_label_combinations_follow_cooccurrence_and_exclusivity() -> None:
    labels = load_taxonomy("emo11").labels
    seed = _seed([["anger", "disgust"]] * 50 + [["joy", "love"]] * 50 + [["neutral"]] * 10)
    combiner = LabelCombiner(labels, seed, max_labels=3, decay=1.0, exclusive=["neutral"])
    rng = random.Random(0)
    partners = Counter(label for _ in range(300) for label in combiner.sample("anger", rng)[1:])
    assert partners.most_common(1)[0][0] == "disgust"
    assert "neutral" not in partners
    assert combiner.sample("neutral", rng) == ("neutral",)
    sizes = Counter(
        len(s)
        for s in plan_label_sets(
            GenConfig(samples_per_label=30, max_labels_per_sample=3, extra_label_decay=0.35),
            labels,
            seed,
            random.Random(1),
        )
    )
    assert set(sizes) == {1, 2, 3}
    assert sizes[1] > sizes[2] > sizes[3]


def test_templates_load_with_version_and_fail_on_missing_values() -> None:
    template = load_template("naive.v1")
    assert (template.name, template.version, template.id) == ("naive", 1, "naive.v1")
    messages = template.render(
        structured=False, emotions="joy", language_instruction="", label_list="joy"
    )
    assert messages[-1][0] == "user" and "joy" in messages[-1][1]
    with pytest.raises(KeyError, match=r"naive\.v1"):
        template.render(structured=False, emotions="joy")
    with pytest.raises(FileNotFoundError, match=r"naive\.v99"):
        load_template("naive.v99")
    with pytest.raises(ValueError, match="no `user_json`"):
        load_template("persona_background.v1").render(structured=True)
    for path in TEMPLATE_DIR.glob("*.yaml"):
        assert load_template(path.stem).id == path.stem


def test_emotion_phrase() -> None:
    assert emotion_phrase(("joy",)) == "joy"
    assert emotion_phrase(("joy", "love", "surprise")) == "joy, love and surprise"


def test_language_table_has_the_23_languages() -> None:
    table = load_languages()
    assert len(table) == 23
    assert {
        "ar",
        "bn",
        "nl",
        "en",
        "fr",
        "de",
        "hi",
        "id",
        "it",
        "ja",
        "ko",
        "zh",
        "pl",
        "pt",
        "pa",
        "ru",
        "es",
        "sw",
        "ta",
        "tr",
        "uk",
        "ur",
        "vi",
    } == set(table)
    assert all(language.context for language in table.values())
    assert identify_language("Mandarin").code == "zh"
    assert get_language("Swahili").code == "sw"
    with pytest.raises(ValueError, match="unknown language"):
        get_language("xx")
