"""MELD, official CSV release: one utterance a row, with dialogue and utterance ids.

Text is kept exactly as released (curly quotes and the release's mojibake included), so
scores stay comparable with published MELD results.
"""

from __future__ import annotations

from pathlib import Path

import datasets

from emoexp.data.builder import CorpusBuilder
from emoexp.data.config import DataConfig
from emoexp.data.loaders.common import (
    class_names,
    hub_location,
    require_columns,
    require_file,
    split_path,
)
from emoexp.data.report import DataError
from emoexp.data.textio import csv_records, read_lines

DEFAULT_FILES = {
    "train": "train_sent_emo.csv",
    "validation": "dev_sent_emo.csv",
    "test": "test_sent_emo.csv",
}
REQUIRED = ["Utterance", "Speaker", "Emotion", "Dialogue_ID", "Utterance_ID"]
KEPT = ["Sentiment", "Season", "Episode"]


def read_local(root: Path, cfg: DataConfig, builder: CorpusBuilder) -> None:
    for split, default in DEFAULT_FILES.items():
        if split not in cfg.read_splits:
            continue
        path = require_file(split_path(root, cfg, split, default), f"MELD {split} file")
        builder.report.add_file(split, str(path))
        read_file(path, split, cfg, builder)


def read_file(path: Path, split: str, cfg: DataConfig, builder: CorpusBuilder) -> None:
    file = str(path)
    records = csv_records(read_lines(path, builder.report, cfg.encoding), file, builder.report)
    header_line, header = next(records, (1, []))
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        raise DataError(f"header lacks column(s) {missing}; found {header}", file, header_line)
    position = {column: i for i, column in enumerate(header)}
    for number, fields in records:
        if len(fields) != len(header):
            builder.reject(
                file,
                number,
                "wrong_columns",
                f"expected {len(header)} fields as in the header, found {len(fields)}",
            )
            continue
        record = {column: fields[i] for column, i in position.items()}
        add_record(record, split, file, number, builder)


def add_record(
    record: dict[str, str], split: str, file: str, number: int, builder: CorpusBuilder
) -> None:
    dialogue, utterance = str(record["Dialogue_ID"]).strip(), str(record["Utterance_ID"]).strip()
    if not dialogue.isdigit() or not utterance.isdigit():
        builder.reject(
            file,
            number,
            "bad_field",
            f"Dialogue_ID {dialogue!r} / Utterance_ID {utterance!r} are not integers",
        )
        return
    builder.add(
        split,
        file,
        number,
        row_id=f"{builder.source}:{split}:d{dialogue}_u{utterance}",
        text=record["Utterance"],
        labels=[str(record["Emotion"]).strip()],
        dialogue_id=f"{builder.source}:{split}:{dialogue}",
        turn=int(utterance),
        speaker=str(record["Speaker"]),
        extra={column.lower(): record[column] for column in KEPT if column in record},
    )


def read_hub(hub: dict[str, datasets.Dataset], cfg: DataConfig, builder: CorpusBuilder) -> None:
    """Hub mirrors of the CSV files: the same column names (Emotion may be a ClassLabel)."""
    for split, ds in hub.items():
        where = hub_location(cfg, split)
        require_columns(ds, REQUIRED, where)
        builder.report.add_file(split, where)
        names = class_names(ds, "Emotion")
        for number, record in enumerate(ds, start=1):
            row = {key: value for key, value in record.items() if key in REQUIRED + KEPT}
            if names is not None:
                row["Emotion"] = names[record["Emotion"]]
            add_record(
                {key: str(value) for key, value in row.items()}, split, where, number, builder
            )
