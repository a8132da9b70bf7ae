"""Small datasets of hand-written rows, built the way loaders and generation build theirs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import datasets

from emoexp.data.schema import Row, rows_to_dataset
from emoexp.data.taxonomy import load_taxonomy

Item = tuple[str, list[str]] | tuple[str, list[str], str]


def labelled_rows(
    items: Sequence[Item],
    *,
    taxonomy: str = "emo11",
    encode: bool = True,
    prefix: str = "r",
    **fields: Any,
) -> datasets.Dataset:
    """Rows from `(text, labels)` or `(text, labels, language)` items (language "en" when
    left out), ids `<prefix><n>`; `encode=False` leaves the multi-hot vector empty, for
    labels outside the taxonomy. `fields` (source, provenance, ...) go to every row."""
    names = load_taxonomy(taxonomy) if encode else None
    rows = []
    for index, item in enumerate(items):
        text, labels = item[0], item[1]
        rows.append(
            Row(
                id=f"{prefix}{index}",
                text=text,
                labels=labels,
                multi_hot=names.multi_hot(labels) if names else [],
                taxonomy=taxonomy,
                language=item[2] if len(item) == 3 else "en",
                **fields,
            )
        )
    return rows_to_dataset(rows)
