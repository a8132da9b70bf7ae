"""Schema of the `data/` group: which real corpus, how it is read, mapped and sampled."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class DataConfig:
    # loader name: goemotions, meld, emorynlp, semeval_ec, dailydialog, tabular
    name: str = "goemotions"
    # local folder or file in the official format; empty means <paths.data_dir>/<folder>
    path: str = ""
    # sub-folder of the data directory holding this corpus
    folder: str = "goemotions"
    # hub id used through `datasets` when no local copy exists
    hub_id: str = ""
    # SemEval-2018 E-c language (English, Arabic, Spanish) or the corpus language
    language: str = "en"
    # the corpus' own label set (a file in conf/taxonomy/)
    source_taxonomy: str = "goemotions"
    # what to do with a malformed row: "raise" stops at it, "skip" records and counts it
    bad_rows: str = "skip"
    # real training examples per class, stratified; null keeps every training row
    seed_size: int | None = None
    # a random cap on training rows after seed sampling; null keeps all
    max_train_rows: int | None = 5000
    # cap on evaluation rows (validation and test); null keeps all
    max_eval_rows: int | None = None
    # preceding turns of a conversation given to the encoder as context
    context_window: int = 0
    # generic tabular files (CSV/TSV/JSONL/Parquet): column mapping
    train_file: str = ""
    validation_file: str = ""
    test_file: str = ""
    text_column: str = "text"
    label_column: str = ""
    label_separator: str = ","
    label_columns: list[str] = field(default_factory=list)
