"""SemEval-2018 Task 1 E-c: `ID<TAB>Tweet<TAB>` then one 0/1 column per emotion.

Files follow the official release names, 2018-E-c-<Lang>-{train,dev,test-gold}.txt with
Lang in En/Ar/Es chosen by `data.language`; `data.*_file` overrides them. The header row
names the label columns, so their order in a file never matters. A tweet with every
column 0 was annotated "neutral or no emotion" and gets an empty label list.
"""

from __future__ import annotations

from pathlib import Path

import datasets

from emoexp.data.builder import CorpusBuilder
from emoexp.data.config import DataConfig
from emoexp.data.loaders.common import hub_location, require_columns, require_file, split_path
from emoexp.data.report import DataError
from emoexp.data.textio import read_lines

LANGUAGE_TAGS = {"en": "En", "ar": "Ar", "es": "Es"}
SPLIT_TAGS = {"train": "train", "validation": "dev", "test": "test-gold"}
TRUE_VALUES = {"1", "1.0", "true", "True"}
FALSE_VALUES = {"0", "0.0", "false", "False"}


def default_file(language: str, split: str) -> str:
    tag = LANGUAGE_TAGS.get(language.lower())
    if tag is None:
        raise DataError(
            f"SemEval-2018 E-c has no release for language {language!r}; "
            f"use one of {sorted(LANGUAGE_TAGS)} or set data.train_file/validation_file/test_file"
        )
    return f"2018-E-c-{tag}-{SPLIT_TAGS[split]}.txt"


def read_local(root: Path, cfg: DataConfig, builder: CorpusBuilder) -> None:
    for split in SPLIT_TAGS:
        if split not in cfg.read_splits:
            continue
        default = default_file(cfg.language, split)
        path = require_file(split_path(root, cfg, split, default), f"SemEval E-c {split} file")
        builder.report.add_file(split, str(path))
        read_file(path, split, cfg, builder)


def read_file(path: Path, split: str, cfg: DataConfig, builder: CorpusBuilder) -> None:
    file = str(path)
    lines = read_lines(path, builder.report, cfg.encoding)
    first = next(lines, None)
    if first is None:
        raise DataError("empty file (expected a header row)", file, 1)
    header_line, header_text = first
    header = [column.strip() for column in header_text.split("\t")]
    labels = list(builder.taxonomy.labels)
    missing = [column for column in ["ID", "Tweet", *labels] if column not in header]
    if missing:
        raise DataError(f"header lacks column(s) {missing}; found {header}", file, header_line)
    id_at, text_at = header.index("ID"), header.index("Tweet")
    label_at = [(label, header.index(label)) for label in labels]
    for number, line in lines:
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != len(header):
            builder.reject(
                file,
                number,
                "wrong_columns",
                f"expected {len(header)} tab-separated fields as in the header, "
                f"found {len(fields)}",
            )
            continue
        row_labels = parse_flags(
            {label: fields[at] for label, at in label_at}, file, number, builder
        )
        if row_labels is not None:
            tweet_id = fields[id_at].strip()
            builder.add(
                split,
                file,
                number,
                row_id=f"{builder.source}:{tweet_id}",
                text=fields[text_at],
                labels=row_labels,
            )


def parse_flags(
    values: dict[str, object], file: str, line: int, builder: CorpusBuilder
) -> list[str] | None:
    """Label names whose column is 1; None (after rejecting the row) if a cell is not 0/1."""
    labels = []
    for label, value in values.items():
        cell = str(value).strip()
        if cell in TRUE_VALUES:
            labels.append(label)
        elif cell not in FALSE_VALUES:
            hint = (
                " (the unlabelled test release? use the -test-gold file)" if cell == "NONE" else ""
            )
            builder.reject(
                file, line, "bad_label", f"column {label!r} holds {cell!r}, not 0/1{hint}"
            )
            return None
    return labels


def read_hub(hub: dict[str, datasets.Dataset], cfg: DataConfig, builder: CorpusBuilder) -> None:
    """The hub's E-c configurations (e.g. subtask5.english): ID, Tweet, one bool per label."""
    labels = list(builder.taxonomy.labels)
    for split, ds in hub.items():
        where = hub_location(cfg, split)
        require_columns(ds, ["ID", "Tweet", *labels], where)
        builder.report.add_file(split, where)
        for number, record in enumerate(ds, start=1):
            row_labels = parse_flags(
                {label: record[label] for label in labels}, where, number, builder
            )
            if row_labels is not None:
                builder.add(
                    split,
                    where,
                    number,
                    row_id=f"{builder.source}:{record['ID']}",
                    text=str(record["Tweet"]),
                    labels=row_labels,
                )
