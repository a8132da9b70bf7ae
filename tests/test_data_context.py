"""Dialogue context survives sampling: a sampled turn still sees the turns left out."""

from __future__ import annotations

from pathlib import Path

from emoexp.data.config import DataConfig
from emoexp.data.conversation import attach_context, context_of
from emoexp.data.loading import load_corpus
from emoexp.data.sampling import sample_rows


def test_sampled_meld_rows_keep_context_from_the_full_dialogue(data_dir: Path) -> None:
    corpus = load_corpus(
        DataConfig(name="meld", folder="meld", source_taxonomy="meld"), str(data_dir)
    )
    dev = corpus.splits["validation"]
    with_context = attach_context(dev, window=2, pool=dev)
    sampled = sample_rows(with_context, 50, seed=0)
    contexts = context_of(sampled, window=2)

    full = {
        (d, t): text
        for d, t, text in zip(dev["dialogue_id"], dev["turn"], dev["text"], strict=True)
    }
    with_turns = [
        (row, ctx) for row, ctx in zip(sampled, contexts, strict=True) if row["turn"] >= 2
    ]
    assert with_turns, "a sample of 50 MELD rows holds later turns"
    for row, ctx in with_turns:
        expected = [full[(row["dialogue_id"], row["turn"] - k)] for k in (2, 1)]
        assert ctx == expected
    # without attached context only the rows present in the sample can be found
    bare = context_of(sample_rows(dev, 50, seed=0), window=2)
    assert sum(map(len, bare)) < sum(map(len, contexts))


def test_context_is_cut_to_the_window(data_dir: Path) -> None:
    corpus = load_corpus(
        DataConfig(name="meld", folder="meld", source_taxonomy="meld"), str(data_dir)
    )
    dev = attach_context(corpus.splits["validation"], window=4)
    assert max(len(c) for c in context_of(dev, window=1)) == 1
