"""Any local CSV, TSV, JSONL or Parquet file (or hub dataset) with a column mapping.

The text comes from `data.text_column`; labels either from one column of label names
(`data.label_column`, split on `data.label_separator`; a list in JSONL/Parquet works as
is) or from one 0/1 column per label (`data.label_columns`, named as the taxonomy's
labels). An empty label cell means "no label" (a negative for every class), not an error.
Line numbers in reports are physical lines for text formats and 1-based row numbers for
Parquet and hub rows.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import datasets

from emoexp.data.builder import CorpusBuilder
from emoexp.data.config import DataConfig
from emoexp.data.loaders.common import configured_file, hub_location, require_file
from emoexp.data.report import DataError, LoadReport
from emoexp.data.schema import NO_TURN
from emoexp.data.splits import SPLITS
from emoexp.data.textio import csv_records, read_lines

FORMATS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".parquet": "parquet"}
TRUE_VALUES = {"1", "1.0", "true", "yes"}
FALSE_VALUES = {"0", "0.0", "false", "no", ""}


def check_label_config(cfg: DataConfig, builder: CorpusBuilder) -> None:
    if bool(cfg.label_column) == bool(cfg.label_columns):
        raise DataError(
            "tabular data needs exactly one of data.label_column (label names in one column) "
            "or data.label_columns (one 0/1 column per label)"
        )
    unknown = [column for column in cfg.label_columns if column not in builder.taxonomy]
    if unknown:
        raise DataError(
            f"data.label_columns {unknown} are not labels of taxonomy "
            f"{builder.taxonomy.name!r} {list(builder.taxonomy.labels)}"
        )


def read_local(root: Path, cfg: DataConfig, builder: CorpusBuilder) -> None:
    check_label_config(cfg, builder)
    configured = {split: configured_file(cfg, split) for split in SPLITS}
    if not any(configured.values()):
        raise DataError(
            "a tabular corpus needs at least one of data.train_file, data.validation_file, "
            "data.test_file"
        )
    for split, name in configured.items():
        if not name:
            builder.report.missing_splits.append(split)
            continue
        if split not in cfg.read_splits:
            continue
        path = Path(name).expanduser()
        path = require_file(path if path.is_absolute() else root / path, f"{split} file")
        builder.report.add_file(split, str(path))
        for number, record in iter_records(path, cfg, builder.report):
            add_record(record, split, str(path), number, cfg, builder)


def iter_records(
    path: Path, cfg: DataConfig, report: LoadReport
) -> Iterator[tuple[int, dict[str, Any]]]:
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise DataError(
            f"unknown tabular format {path.suffix!r}; use one of {sorted(FORMATS)}", str(path)
        )
    if kind == "parquet":
        import pyarrow.parquet as pq

        yield from enumerate(pq.read_table(path).to_pylist(), start=1)
        return
    lines = read_lines(path, report, cfg.encoding)
    if kind == "jsonl":
        yield from _json_lines(lines, str(path), report)
        return
    records = csv_records(lines, str(path), report, delimiter="\t" if kind == "tsv" else ",")
    header_line, header = next(records, (1, []))
    required = [cfg.text_column, cfg.label_column, *cfg.label_columns]
    missing = [column for column in required if column and column not in header]
    if missing:
        raise DataError(f"header lacks column(s) {missing}; found {header}", str(path), header_line)
    for number, fields in records:
        if len(fields) != len(header):
            report.reject(
                str(path),
                number,
                "wrong_columns",
                f"expected {len(header)} fields as in the header, found {len(fields)}",
            )
            continue
        yield number, dict(zip(header, fields, strict=True))


def _json_lines(
    lines: Iterator[tuple[int, str]], file: str, report: LoadReport
) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in lines:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            report.reject(file, number, "bad_json", f"invalid JSON: {exc}")
            continue
        if not isinstance(record, dict):
            report.reject(file, number, "bad_json", f"expected an object, got {type(record)}")
            continue
        yield number, record


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def parse_labels(record: dict[str, Any], cfg: DataConfig) -> tuple[list[str] | None, str]:
    """(label names, '') or (None, reason the labels cannot be read)."""
    if cfg.label_column:
        value = record.get(cfg.label_column)
        if _is_missing(value):
            return [], ""
        if isinstance(value, str):
            parts = value.split(cfg.label_separator) if cfg.label_separator else [value]
            return [part.strip() for part in parts if part.strip()], ""
        if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
            return [item.strip() for item in value if item.strip()], ""
        return None, f"column {cfg.label_column!r} holds {value!r}, expected label names"
    labels = []
    for label in cfg.label_columns:
        value = record.get(label)
        cell = str(value).strip().lower() if not _is_missing(value) else ""
        if cell in TRUE_VALUES:
            labels.append(label)
        elif cell not in FALSE_VALUES:
            return None, f"column {label!r} holds {value!r}, not 0/1"
    return labels, ""


def add_record(
    record: dict[str, Any],
    split: str,
    file: str,
    number: int,
    cfg: DataConfig,
    builder: CorpusBuilder,
) -> None:
    required = [cfg.text_column, *cfg.label_columns]
    missing = [column for column in required if column not in record]
    if missing:
        builder.reject(file, number, "bad_field", f"missing column(s) {missing}")
        return
    text = record[cfg.text_column]
    if not isinstance(text, str):
        text = "" if _is_missing(text) else str(text)
    labels, reason = parse_labels(record, cfg)
    if labels is None:
        builder.reject(file, number, "bad_label", reason)
        return
    turn = NO_TURN
    if cfg.turn_column:
        raw_turn = str(record.get(cfg.turn_column, "")).strip()
        if not raw_turn.lstrip("-").isdigit():
            builder.reject(file, number, "bad_field", f"turn {raw_turn!r} is not an integer")
            return
        turn = int(raw_turn)
    native_id = str(record.get(cfg.id_column, "")).strip() if cfg.id_column else ""
    dialogue = str(record.get(cfg.dialogue_column, "")).strip() if cfg.dialogue_column else ""
    builder.add(
        split,
        file,
        number,
        row_id=f"{builder.source}:{native_id}"
        if native_id
        else f"{builder.source}:{split}:{number}",
        text=text,
        labels=labels,
        dialogue_id=f"{builder.source}:{split}:{dialogue}" if dialogue else "",
        turn=turn,
        speaker=str(record.get(cfg.speaker_column, "")) if cfg.speaker_column else "",
    )


def read_hub(hub: dict[str, datasets.Dataset], cfg: DataConfig, builder: CorpusBuilder) -> None:
    """Any hub dataset, read through the same column mapping as a local file."""
    check_label_config(cfg, builder)
    for split, ds in hub.items():
        where = hub_location(cfg, split)
        builder.report.add_file(split, where)
        for number, record in enumerate(ds, start=1):
            add_record(record, split, where, number, cfg, builder)
