"""Replies that are the prompt coming back (a template placeholder, the instructions, the
re-ask message) are rejected with a reason, in every language; real posts are not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emoexp.data.schema import provenance_of, rows_to_dataset
from emoexp.data.taxonomy import load_taxonomy
from emoexp.generation import GenConfig, generate
from emoexp.generation.config import MultilingualConfig
from emoexp.generation.prompts import load_template
from emoexp.generation.replies import prompt_echo
from emoexp.llm.fake import FakeBackend
from emoexp.llm.types import ChatRequest

TAXONOMY = load_taxonomy("emo11")


def naive_messages(structured: bool) -> tuple[tuple[str, str], ...]:
    return load_template("naive.v1").render(
        structured=structured,
        emotions="joy",
        label_list=", ".join(TAXONOMY.labels),
        language_instruction="",
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("<the post>", "placeholder"),
        ("Feeling great today <the post>", "placeholder"),
        ("[your post here]", "placeholder"),
        ("...", "placeholder"),
        (
            "That reply could not be used (not_json: no JSON in the reply). Answer again",
            "echoes_reask",
        ),
        (
            "Write a short social media post (one to three sentences) by someone who feels joy.",
            "echoes_prompt",
        ),
        (
            "You write short, realistic posts like the ones people leave on social media.",
            "echoes_prompt",
        ),
        ('{"text": "so happy", "emotions": ["joy"]}', "not_a_post"),
    ],
)
def test_echoes_are_named(text: str, reason: str) -> None:
    echo = prompt_echo(text, naive_messages(structured=True))
    assert echo is not None and echo[0] == reason


@pytest.mark.parametrize(
    "text",
    [
        "Finally got the job offer I've been dreaming about for two years! Celebrating tonight 🎉",
        "Nimefurahi sana leo, mtoto wangu amefaulu mtihani wake wa mwisho!",
        "आज मेरी बहन की शादी है, मैं बहुत खुश हूँ और सबको धन्यवाद देना चाहती हूँ!",
        "今天终于拿到了录取通知书，开心得睡不着觉！",
        "Endlich Urlaub! Ich sitze am See und kann es kaum glauben.",
        "I <3 my dog so much, best friend ever",
        "Thank you so much.",
    ],
)
def test_real_posts_in_any_language_pass(text: str) -> None:
    assert prompt_echo(text, naive_messages(structured=True)) is None


def test_a_dialogue_line_may_repeat_a_short_earlier_line() -> None:
    history = "Alex: Yeah, me too.\nSam: I can't believe it's Friday already and nothing got done."
    messages = (("user", f"The conversation so far:\n{history}\nWrite Alex's next line."),)
    assert prompt_echo("Yeah, me too.", messages) is None
    copied = "I can't believe it's Friday already and nothing got done!"
    echo = prompt_echo(copied, messages)
    assert echo is not None and echo[0] == "echoes_prompt"


def test_multilingual_echoes_are_rejected_and_never_reach_the_rows(tmp_path: Path) -> None:
    """A Swahili run where the model returns the placeholder, then the re-ask message, then
    its instructions: every sample ends rejected with the reason, none is accepted."""
    answers = {
        0: json.dumps({"text": "<the post>", "emotions": ["joy"], "language": "sw"}),
        1: json.dumps(
            {
                "text": "That reply could not be used (placeholder). Answer again",
                "emotions": ["joy"],
                "language": "sw",
            }
        ),
    }

    def reply(request: ChatRequest, seed: int) -> str:
        attempt = int(request.metadata.get("attempt", 0))
        if attempt in answers:
            return answers[attempt]
        user = request.messages[1][1]
        return json.dumps({"text": user.splitlines()[1], "emotions": ["joy"], "language": "sw"})

    gen = GenConfig(
        strategy="multilingual",
        samples_per_label=1,
        max_reasks=2,
        multilingual=MultilingualConfig(languages=["sw"]),
    )
    backend = FakeBackend(reply=reply)
    out = generate(gen, backend, TAXONOMY, rows_to_dataset([]), None, tmp_path, structured=True)
    assert len(out.accepted) == 0 and len(out.rejected) == len(TAXONOMY.labels)
    failures = out.stats["failures"]
    assert failures["text:placeholder"] == failures["text:echoes_reask"] == len(TAXONOMY.labels)
    assert out.stats["rejections"] == {"text:echoes_prompt": len(TAXONOMY.labels)}
    assert all(
        provenance_of(row)["reason"] == "text:echoes_prompt" for row in out.rejected.to_list()
    )
