"""Dialogue context: which turns came before a row in its conversation.

Only the lookup lives here; how context is joined with the text belongs to the model's
input pipeline. Context should come from the full dialogue, not only the rows that
survived mapping or sampling, hence the optional `pool`.
"""

from __future__ import annotations

import json

import datasets

from emoexp.data.columns import column


def preceding_turns(
    ds: datasets.Dataset, window: int, pool: datasets.Dataset | None = None
) -> list[list[str]]:
    """For each row of `ds`, the texts of up to `window` turns before it, oldest first.

    Turns are looked up in `pool` (default: `ds` itself) by dialogue_id and turn, so pass
    the unmapped, unsampled split to see turns whose rows were dropped. Rows without a
    dialogue id get no context. One pass over each dataset plus one sort per dialogue.
    """
    if window < 0:
        raise ValueError(f"window must be >= 0, got {window}")
    dialogues = column(ds, "dialogue_id")
    if window == 0:
        return [[] for _ in dialogues]
    source = ds if pool is None else pool
    by_dialogue: dict[str, list[tuple[int, str]]] = {}
    for dialogue, turn, text in zip(
        column(source, "dialogue_id"),
        column(source, "turn"),
        column(source, "text"),
        strict=True,
    ):
        if dialogue:
            by_dialogue.setdefault(dialogue, []).append((turn, text))
    position: dict[str, dict[int, int]] = {}
    ordered: dict[str, list[str]] = {}
    for dialogue, turns in by_dialogue.items():
        turns.sort(key=lambda item: item[0])
        ordered[dialogue] = [text for _, text in turns]
        position[dialogue] = {turn: i for i, (turn, _) in enumerate(turns)}
    context: list[list[str]] = []
    for dialogue, turn in zip(dialogues, column(ds, "turn"), strict=True):
        texts = ordered.get(dialogue) if dialogue else None
        if texts is None:
            context.append([])
            continue
        at = position[dialogue].get(turn)
        if at is None:  # a row missing from the pool: context is every earlier pool turn
            at = sum(1 for t in position[dialogue] if t < turn)
        context.append(texts[max(0, at - window) : at])
    return context


CONTEXT_KEY = "context"


def attach_context(
    ds: datasets.Dataset, window: int, pool: datasets.Dataset | None = None
) -> datasets.Dataset:
    """Store each row's preceding turns in its provenance, looked up in the full `pool`.

    Done before mapping drops rows and before seed sampling, so that a sampled training row
    still sees the turns that were not sampled; the context then travels with the row.
    """
    if window <= 0 or len(ds) == 0:
        return ds
    contexts = preceding_turns(ds, window, pool)
    provenance = column(ds, "provenance")
    updated = []
    for raw, turns in zip(provenance, contexts, strict=True):
        entry = json.loads(raw or "{}")
        entry[CONTEXT_KEY] = turns
        updated.append(json.dumps(entry, ensure_ascii=False, sort_keys=True))
    return ds.remove_columns("provenance").add_column(
        "provenance", updated, feature=ds.features["provenance"]
    )


def context_of(ds: datasets.Dataset, window: int) -> list[list[str]]:
    """Each row's preceding turns: the attached context when the row carries one (see
    `attach_context`), else a lookup among the rows of `ds` itself."""
    if window <= 0:
        return [[] for _ in range(len(ds))]
    looked_up: list[list[str]] | None = None
    contexts = []
    for row, raw in enumerate(column(ds, "provenance")):
        entry = json.loads(raw or "{}")
        if CONTEXT_KEY in entry:
            turns = list(entry[CONTEXT_KEY])
            contexts.append(turns[len(turns) - window :] if len(turns) > window else turns)
            continue
        if looked_up is None:
            looked_up = preceding_turns(ds, window)
        contexts.append(looked_up[row])
    return contexts
