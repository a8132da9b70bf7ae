"""GoEmotions, official TSV release: text<TAB>label ids<TAB>comment id, no header.

The files hold about 1.4k texts with CSV-style doubled quotes, exactly as released, so
they are split on tabs with no quote handling (a csv reader would merge or alter rows).
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
from emoexp.data.textio import read_lines

DEFAULT_FILES = {"train": "train.tsv", "validation": "dev.tsv", "test": "test.tsv"}
LABEL_FILE = "emotions.txt"


def release_labels(root: Path, builder: CorpusBuilder) -> tuple[str, ...]:
    """The label order the ids index: emotions.txt, which must agree with the taxonomy."""
    path = root / LABEL_FILE
    if not path.is_file():
        return builder.taxonomy.labels
    names = tuple(line.strip() for line in path.read_text(encoding="utf-8").split("\n"))
    names = tuple(name for name in names if name)
    if names != builder.taxonomy.labels:
        raise DataError(
            f"label list differs from taxonomy {builder.taxonomy.name!r}: {list(names)} vs "
            f"{list(builder.taxonomy.labels)}",
            str(path),
        )
    return names


def read_local(root: Path, cfg: DataConfig, builder: CorpusBuilder) -> None:
    names = release_labels(root, builder)
    for split, default in DEFAULT_FILES.items():
        if split not in cfg.read_splits:
            continue
        path = require_file(split_path(root, cfg, split, default), f"GoEmotions {split} file")
        builder.report.add_file(split, str(path))
        read_file(path, split, names, cfg, builder)


def read_file(
    path: Path, split: str, names: tuple[str, ...], cfg: DataConfig, builder: CorpusBuilder
) -> None:
    file = str(path)
    for number, line in read_lines(path, builder.report, cfg.encoding):
        fields = line.split("\t")
        if len(fields) != 3:
            builder.reject(
                file,
                number,
                "wrong_columns",
                f"expected 3 tab-separated fields (text, label ids, comment id), "
                f"found {len(fields)}",
            )
            continue
        text, raw_ids, comment_id = fields
        labels = parse_label_ids(raw_ids, names, file, number, builder)
        if labels is None:
            continue
        if not comment_id.strip():
            builder.reject(file, number, "bad_field", "empty comment id")
            continue
        builder.add(
            split, file, number, row_id=f"{builder.source}:{comment_id}", text=text, labels=labels
        )


def parse_label_ids(
    raw: str, names: tuple[str, ...], file: str, line: int, builder: CorpusBuilder
) -> list[str] | None:
    tokens = [token.strip() for token in raw.split(",")]
    if not raw.strip():
        builder.reject(file, line, "bad_label", "no label ids")
        return None
    labels = []
    for token in tokens:
        if not token.isdigit():
            builder.reject(file, line, "bad_label", f"unparsable label id {token!r}")
            return None
        index = int(token)
        if index >= len(names):
            builder.reject(
                file, line, "unknown_label", f"label id {index} outside 0..{len(names) - 1}"
            )
            return None
        labels.append(names[index])
    return labels


def read_hub(hub: dict[str, datasets.Dataset], cfg: DataConfig, builder: CorpusBuilder) -> None:
    """The hub's `simplified` configuration: text, labels (ClassLabel ids), id."""
    for split, ds in hub.items():
        where = hub_location(cfg, split)
        require_columns(ds, ["text", "labels", "id"], where)
        names = tuple(class_names(ds, "labels") or builder.taxonomy.labels)
        if names != builder.taxonomy.labels:
            raise DataError(f"hub label names {list(names)} differ from the taxonomy", where)
        builder.report.add_file(split, where)
        for number, (text, ids, comment_id) in enumerate(
            zip(ds["text"], ds["labels"], ds["id"], strict=True), start=1
        ):
            labels = parse_label_ids(",".join(map(str, ids)), names, where, number, builder)
            if labels is not None:
                builder.add(
                    split,
                    where,
                    number,
                    row_id=f"{builder.source}:{comment_id}",
                    text=text,
                    labels=labels,
                )
