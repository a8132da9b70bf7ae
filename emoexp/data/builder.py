"""Column-wise construction of FEATURES datasets with the checks every loader shares.

Loaders parse their format and hand each row here; empty text, labels outside the
taxonomy and duplicate ids are refused in one place, through the report's bad-row policy.
Columns are filled directly (no per-row objects) and turned into Arrow in one step, so a
50k-row corpus builds in well under a second.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import datasets

from emoexp.data.columns import columns_to_dataset, empty_columns
from emoexp.data.report import LoadReport
from emoexp.data.schema import NO_TURN
from emoexp.data.splits import SPLITS
from emoexp.data.taxonomy import Taxonomy

ORIGIN_HUMAN = "human"


class CorpusBuilder:
    """Collects the rows of one corpus, split by split, in its own taxonomy."""

    def __init__(self, source: str, taxonomy: Taxonomy, language: str, report: LoadReport) -> None:
        self.source = source
        self.taxonomy = taxonomy
        self.language = language
        self.report = report
        self._columns: dict[str, dict[str, list[Any]]] = {}
        self._seen_ids: set[str] = set()
        self._file_names: dict[str, str] = {}
        self._prefixes: dict[str, str] = {}

    def reject(self, file: str, line: int, kind: str, reason: str) -> None:
        self.report.reject(file, line, kind, reason)

    def add(
        self,
        split: str,
        file: str,
        line: int,
        *,
        row_id: str,
        text: str,
        labels: list[str],
        dialogue_id: str = "",
        turn: int = NO_TURN,
        speaker: str = "",
        extra: dict[str, Any] | None = None,
    ) -> bool:
        """Add one row; False when it was refused (recorded, or raised under 'raise')."""
        if not text.strip():
            self.reject(file, line, "empty_text", "empty text")
            return False
        unknown = [label for label in labels if label not in self.taxonomy]
        if unknown:
            self.reject(
                file,
                line,
                "unknown_label",
                f"label(s) {unknown} not in taxonomy {self.taxonomy.name!r}",
            )
            return False
        if row_id in self._seen_ids:
            self.reject(file, line, "duplicate_id", f"id {row_id!r} already used")
            return False
        self._seen_ids.add(row_id)
        unique_labels = sorted(set(labels), key=self.taxonomy.index)
        columns = self._columns.setdefault(split, empty_columns())
        columns["id"].append(row_id)
        columns["text"].append(text)
        columns["labels"].append(unique_labels)
        columns["multi_hot"].append(self.taxonomy.multi_hot(unique_labels))
        columns["taxonomy"].append(self.taxonomy.name)
        columns["language"].append(self.language)
        columns["source"].append(self.source)
        columns["split"].append(split)
        columns["dialogue_id"].append(dialogue_id)
        columns["turn"].append(turn)
        columns["speaker"].append(speaker)
        columns["provenance"].append(self._provenance(file, line, extra))
        return True

    def _provenance(self, file: str, line: int, extra: dict[str, Any] | None) -> str:
        """JSON provenance; the common case (no extras) is formatted without json.dumps."""
        # the file name only: a row's content must not depend on where the corpus sits
        name = self._file_names.get(file)
        if name is None:
            name = self._file_names[file] = Path(file).name
        if extra:
            provenance = {"origin": ORIGIN_HUMAN, "file": name, "line": line, **extra}
            return json.dumps(provenance, ensure_ascii=False)
        prefix = self._prefixes.get(name)
        if prefix is None:
            head = json.dumps({"origin": ORIGIN_HUMAN, "file": name}, ensure_ascii=False)
            prefix = self._prefixes[name] = head[:-1] + ', "line": '
        return f"{prefix}{int(line)}}}"

    def finish(self) -> datasets.DatasetDict:
        """train/validation/test, an empty dataset for a split that produced no rows."""
        splits = {}
        for split in SPLITS:
            splits[split] = columns_to_dataset(self._columns.get(split, empty_columns()))
            self.report.rows_read[split] = len(splits[split])
        return datasets.DatasetDict(splits)
