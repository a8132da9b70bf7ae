"""Schema of the `data/` group: which real corpus, how it is read, mapped and sampled."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class DataConfig:
    # loader name: goemotions, meld, emorynlp, semeval_ec, dailydialog, tabular
    name: str = "goemotions"
    # local folder in the release format; empty means <paths.data_dir>/<folder>
    path: str = ""
    # sub-folder of the data directory holding this corpus
    folder: str = "goemotions"
    # hub id used through `datasets` when no local copy exists
    hub_id: str = ""
    # configuration name passed with hub_id (e.g. "simplified" for GoEmotions)
    hub_config: str = ""
    # the rows' `source` column and id prefix; empty means `name` (e.g. semeval_ec_ar)
    source: str = ""
    # text encoding of local files; a line that does not decode is a bad row
    encoding: str = "utf-8"
    # language code of the rows (en, ar, es, ...); also picks the SemEval-2018 E-c files
    language: str = "en"
    # the corpus' own label set (conf/labels/taxonomies/<name>.yaml)
    source_taxonomy: str = "goemotions"
    # what to do with a malformed row: "raise" stops at it, "skip" records and counts it
    bad_rows: str = "skip"
    # real training examples per class, stratified; null keeps every training row
    seed_size: int | None = None
    # how the seed set is drawn: "per_class" (up to seed_size rows of each class, rarest
    # first) or "natural" (seed_size x classes rows at the corpus' own label distribution,
    # so under-represented classes stay under-represented)
    seed_sampling: str = "per_class"
    # a random cap on training rows after seed sampling; null keeps all
    max_train_rows: int | None = 5000
    # cap on evaluation rows (validation and test); null keeps all
    max_eval_rows: int | None = None
    # splits the local loaders read (zero-shot scoring reads only the test split, so a corpus
    # with only its test file on disk can still be scored)
    read_splits: list[str] = field(default_factory=lambda: ["train", "validation", "test"])
    # preceding turns of a conversation given to the encoder as context
    context_window: int = 0
    # file per split, absolute or relative to the corpus folder; empty keeps the loader's
    # default name (official release names; required for tabular)
    train_file: str = ""
    validation_file: str = ""
    test_file: str = ""
    text_column: str = "text"
    label_column: str = ""
    label_separator: str = ","
    label_columns: list[str] = field(default_factory=list)
    # tabular: optional columns for a stable id and conversation structure
    id_column: str = ""
    dialogue_column: str = ""
    turn_column: str = ""
    speaker_column: str = ""
