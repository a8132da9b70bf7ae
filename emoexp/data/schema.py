"""The one row schema every stage reads and writes.

Real corpora, synthetic generations, rejected generations and conversation turns all share
it, so a filter, a trainer or an analysis never needs to know where a row came from.
Provenance is a JSON object serialised to a string: its keys differ per source (strategy,
template version, persona, keywords, model, filter verdicts) and Arrow needs one type.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import datasets

NO_TURN = -1

FEATURES = datasets.Features(
    {
        "id": datasets.Value("string"),
        "text": datasets.Value("string"),
        "labels": datasets.Sequence(datasets.Value("string")),
        "multi_hot": datasets.Sequence(datasets.Value("float32")),
        "taxonomy": datasets.Value("string"),
        "language": datasets.Value("string"),
        "source": datasets.Value("string"),
        "split": datasets.Value("string"),
        "dialogue_id": datasets.Value("string"),
        "turn": datasets.Value("int32"),
        "speaker": datasets.Value("string"),
        "provenance": datasets.Value("string"),
    }
)


@dataclass
class Row:
    """One text with its labels; `multi_hot` is ordered as the taxonomy's label list."""

    id: str
    text: str
    labels: list[str]
    multi_hot: list[float]
    taxonomy: str
    language: str = "en"
    source: str = ""
    split: str = "train"
    dialogue_id: str = ""
    turn: int = NO_TURN
    speaker: str = ""
    provenance: dict[str, Any] = field(default_factory=dict)

    def to_record(self) -> dict[str, Any]:
        record = asdict(self)
        record["provenance"] = json.dumps(self.provenance, ensure_ascii=False, sort_keys=True)
        return record


def rows_to_dataset(rows: list[Row]) -> datasets.Dataset:
    """Build a Dataset with the shared features, also when `rows` is empty."""
    records = [row.to_record() for row in rows]
    columns = {name: [record[name] for record in records] for name in FEATURES}
    return datasets.Dataset.from_dict(columns, features=FEATURES)


def provenance_of(record: dict[str, Any]) -> dict[str, Any]:
    """Decode a record's provenance column."""
    raw = record.get("provenance") or "{}"
    return json.loads(raw) if isinstance(raw, str) else dict(raw)
