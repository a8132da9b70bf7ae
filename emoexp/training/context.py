"""Conversation context: the turns before an utterance, as the encoder's first segment."""

from __future__ import annotations

from collections import defaultdict

import datasets


def _render_turn(speaker: str, text: str) -> str:
    return f"{speaker}: {text}" if speaker else text


def preceding_context(ds: datasets.Dataset, window: int) -> list[str]:
    """For every row, up to `window` earlier turns of its dialogue joined oldest first.

    Rows outside a dialogue (empty `dialogue_id`) or with `window` 0 get an empty context.
    Turns are ordered by their `turn` number within the split, so the row order of `ds`
    does not matter.
    """
    if window < 0:
        raise ValueError(f"context window must be >= 0, got {window}")
    contexts = [""] * len(ds)
    if window == 0 or len(ds) == 0:
        return contexts
    dialogue_ids = ds["dialogue_id"]
    turns = ds["turn"]
    speakers = ds["speaker"]
    texts = ds["text"]
    by_dialogue: dict[str, list[int]] = defaultdict(list)
    for row, dialogue in enumerate(dialogue_ids):
        if dialogue:
            by_dialogue[dialogue].append(row)
    for rows in by_dialogue.values():
        rows.sort(key=lambda row: turns[row])
        for position, row in enumerate(rows):
            earlier = rows[max(0, position - window) : position]
            contexts[row] = " ".join(_render_turn(speakers[r], texts[r]) for r in earlier)
    return contexts
