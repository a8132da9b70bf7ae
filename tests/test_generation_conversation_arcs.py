"""Dialogue emotion plans: neutral turns kept where the label plan would drop them, and
arcs proposed by the LLM itself, with a counted fallback when its reply is unusable."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import datasets

from emoexp.data.schema import Row, provenance_of, rows_to_dataset
from emoexp.data.taxonomy import load_taxonomy
from emoexp.generation import GenConfig, generate
from emoexp.generation.config import ConversationConfig
from emoexp.llm.fake import FakeBackend
from emoexp.llm.types import ChatRequest

TAXONOMY = load_taxonomy("emo11")


def neutral_heavy_seed() -> datasets.Dataset:
    """A conversation corpus where most turns are neutral, as in MELD and DailyDialog."""
    rows = []
    for label in TAXONOMY.labels:
        for copy in range(40 if label == "neutral" else 3):
            rows.append(
                Row(
                    id=f"seed-{label}-{copy}",
                    text=f"A {label} line {copy}.",
                    labels=[label],
                    multi_hot=TAXONOMY.multi_hot([label]),
                    taxonomy=TAXONOMY.name,
                )
            )
    return rows_to_dataset(rows)


def user_text(request: ChatRequest) -> str:
    return [content for role, content in request.messages if role == "user"][-1]


def line_reply(request: ChatRequest, seed: int) -> str:
    return f"That is line {request.sample_index} of this talk, honestly."


def labels_of(out: datasets.Dataset) -> Counter[str]:
    return Counter(label for labels in out["labels"] for label in labels)


def run(cfg: GenConfig, tmp_path: Path, reply=line_reply) -> datasets.Dataset:
    return generate(
        cfg, FakeBackend(reply=reply), TAXONOMY, neutral_heavy_seed(), None, tmp_path,
        structured=False,
    ).accepted  # fmt: skip


def test_filling_rare_classes_drops_neutral_unless_a_share_is_kept(tmp_path: Path) -> None:
    fill = dict(
        strategy="conversation", samples_per_label=4, label_distribution="fill_underrepresented"
    )
    without = labels_of(run(GenConfig(**fill), tmp_path / "a"))
    assert without["neutral"] == 0
    kept = labels_of(
        run(GenConfig(**fill, conversation=ConversationConfig(neutral_share=0.25)), tmp_path / "b")
    )
    assert sum(kept.values()) == sum(without.values()) == 44
    assert kept["neutral"] == 11
    # the other classes still share the rest as the fill plan wants: all rare, all present
    assert all(kept[label] > 0 for label in TAXONOMY.labels)


def test_the_llm_proposes_each_dialogues_emotion_arc(tmp_path: Path) -> None:
    def reply(request: ChatRequest, seed: int) -> str:
        if request.template.startswith("conversation_arc"):
            count = int(re.search(r"(\d+) turns", user_text(request)).group(1))
            arc = ["fear", "surprise", "joy", "gratitude", "neutral", "joy"][:count]
            return "Here is the arc: " + ", ".join(arc)
        return line_reply(request, seed)

    cfg = GenConfig(
        strategy="conversation",
        samples_per_label=2,
        conversation=ConversationConfig(arc="llm", turns_min=3, turns_max=4),
    )
    out = run(cfg, tmp_path, reply)
    by_dialogue: dict[str, list[tuple[int, str]]] = {}
    for record in out:
        by_dialogue.setdefault(record["dialogue_id"], []).append(
            (record["turn"], record["labels"][0])
        )
        assert provenance_of(record)["arc_source"] == "llm"
    for turns in by_dialogue.values():
        emotions = [label for _, label in sorted(turns)]
        assert emotions == ["fear", "surprise", "joy", "gratitude"][: len(emotions)]


def test_an_unusable_arc_reply_falls_back_to_the_plan_and_is_counted(tmp_path: Path) -> None:
    def reply(request: ChatRequest, seed: int) -> str:
        if request.template.startswith("conversation_arc"):
            return "I am a helpful assistant."
        return line_reply(request, seed)

    cfg = GenConfig(
        strategy="conversation",
        samples_per_label=2,
        max_reasks=0,
        conversation=ConversationConfig(arc="llm"),
    )
    output = generate(
        cfg, FakeBackend(reply=reply), TAXONOMY, neutral_heavy_seed(), None, tmp_path,
        structured=False,
    )  # fmt: skip
    assert len(output.accepted) == 22
    assert {provenance_of(r)["arc_source"] for r in output.accepted} == {"plan"}
    assert labels_of(output.accepted) == {label: 2 for label in TAXONOMY.labels}
    arcs = output.stats["arcs"]
    assert arcs["from_llm"] == 0 and arcs["from_plan"] == arcs["dialogues"] > 0
