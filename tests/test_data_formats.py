"""Loaders for corpora not shipped with the project, on small files written in the
official formats: SemEval-2018 E-c (CRLF), DailyDialog, generic tabular files; and the
hub path's conversion code on in-memory hub-shaped datasets."""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import pandas as pd
import pytest

from emoexp.data.builder import CorpusBuilder
from emoexp.data.columns import column
from emoexp.data.config import DataConfig
from emoexp.data.loaders import dailydialog, goemotions, semeval_ec
from emoexp.data.loading import load_corpus, map_corpus
from emoexp.data.report import CorpusNotFoundError, DataError, LoadReport
from emoexp.data.schema import FEATURES, provenance_of
from emoexp.data.taxonomy import load_mapping, load_taxonomy

SEMEVAL_LABELS = [
    "anger",
    "anticipation",
    "disgust",
    "fear",
    "joy",
    "love",
    "optimism",
    "pessimism",
    "sadness",
    "surprise",
    "trust",
]


def semeval_file(path: Path, rows: list[tuple[str, str, list[int]]]) -> None:
    lines = ["\t".join(["ID", "Tweet", *SEMEVAL_LABELS])]
    lines += ["\t".join([row_id, tweet, *map(str, flags)]) for row_id, tweet, flags in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))


@pytest.fixture
def semeval_dir(tmp_path: Path) -> Path:
    root = tmp_path / "semeval_ec"
    root.mkdir()
    semeval_file(
        root / "2018-E-c-Es-train.txt",
        [
            ("2018-Es-01", "¡Qué alegría verte!", [0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]),
            ("2018-Es-02", "Nada que decir", [0] * 11),
            ("2018-Es-03", "Confío en ti", [0] * 10 + [1]),
        ],
    )
    semeval_file(
        root / "2018-E-c-Es-dev.txt",
        [
            ("2018-Es-04", "Tengo miedo y asco", [0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0]),
        ],
    )
    semeval_file(
        root / "2018-E-c-Es-test-gold.txt",
        [
            ("2018-Es-05", "Qué sorpresa", [0] * 9 + [1, 0]),
        ],
    )
    return root


def semeval_config(root: Path, **overrides: object) -> DataConfig:
    return DataConfig(
        name="semeval_ec",
        source="semeval_ec_es",
        path=str(root),
        source_taxonomy="semeval_ec",
        language="es",
        bad_rows="raise",
        **overrides,
    )  # type: ignore[arg-type]


def test_semeval_reads_official_names_and_crlf(semeval_dir: Path) -> None:
    corpus = load_corpus(semeval_config(semeval_dir), "unused")
    splits = corpus.splits
    assert {name: len(ds) for name, ds in splits.items()} == {
        "train": 3,
        "validation": 1,
        "test": 1,
    }
    first = splits["train"][0]
    assert first["text"] == "¡Qué alegría verte!"  # no trailing \r
    assert first["labels"] == ["joy", "love"]
    assert first["id"] == "semeval_ec_es:2018-Es-01"
    assert (first["language"], first["source"], first["taxonomy"]) == (
        "es",
        "semeval_ec_es",
        "semeval_ec",
    )
    assert column(splits["train"], "labels")[1] == []
    assert splits["validation"][0]["labels"] == ["disgust", "fear", "pessimism"]
    assert splits["train"].features == FEATURES


def test_semeval_to_emo11_applies_both_rules(semeval_dir: Path) -> None:
    corpus = load_corpus(semeval_config(semeval_dir), "unused")
    mapped, stats = map_corpus(
        corpus.splits, load_mapping("semeval_ec", "emo11"), load_taxonomy("emo11")
    )
    train = mapped["train"]
    assert column(train, "labels") == [["joy", "love"], ["neutral"]]  # trust-only row dropped
    assert stats["splits"]["train"]["dropped_by_rule"] == {"unmapped": 1}
    assert stats["splits"]["train"]["relabelled_by_rule"] == {"unlabelled": 1}
    assert provenance_of(train[1])["source_labels"] == []
    assert mapped["validation"][0]["labels"] == ["disgust", "fear", "sadness"]


def test_semeval_file_names_are_configurable(semeval_dir: Path) -> None:
    (semeval_dir / "2018-E-c-Es-test-gold.txt").rename(semeval_dir / "gold.tsv")
    with pytest.raises(DataError, match=r"2018-E-c-Es-test-gold\.txt"):
        load_corpus(semeval_config(semeval_dir), "unused")
    corpus = load_corpus(semeval_config(semeval_dir, test_file="gold.tsv"), "unused")
    assert column(corpus.splits["test"], "text") == ["Qué sorpresa"]


def test_semeval_unlabelled_release_is_refused_with_a_hint(semeval_dir: Path) -> None:
    path = semeval_dir / "2018-E-c-Es-test-gold.txt"
    path.write_bytes(path.read_bytes().replace(b"\t0\t1\t0\r\n", b"\tNONE\tNONE\tNONE\r\n"))
    with pytest.raises(DataError, match=r"test-gold.txt:2: column 'sadness' holds 'NONE'"):
        load_corpus(semeval_config(semeval_dir), "unused")


def test_semeval_rejects_unknown_language() -> None:
    with pytest.raises(DataError, match="no release for language 'fr'"):
        semeval_ec.default_file("fr", "train")


def write_dailydialog(root: Path, split: str, dialogues: list[tuple[str, str]]) -> None:
    folder = root / split
    folder.mkdir(parents=True)
    (folder / f"dialogues_{split}.txt").write_text("".join(text + "\n" for text, _ in dialogues))
    (folder / f"dialogues_emotion_{split}.txt").write_text(
        "".join(codes + "\n" for _, codes in dialogues)
    )


@pytest.fixture
def dailydialog_dir(tmp_path: Path) -> Path:
    root = tmp_path / "dailydialog"
    write_dailydialog(
        root,
        "train",
        [
            (
                "Say , Jim , how about a beer ? __eou__ That is tempting . __eou__ "
                "Great ! __eou__ ",
                "0 0 4 ",
            ),
            ("I lost my keys . __eou__ Oh no ! __eou__ ", "5 6 "),
        ],
    )
    write_dailydialog(root, "validation", [("Get out ! __eou__ Fine . __eou__ ", "1 0 ")])
    write_dailydialog(root, "test", [("That smells awful . __eou__ ", "2 ")])
    return root


def dailydialog_config(root: Path, bad_rows: str = "raise") -> DataConfig:
    return DataConfig(
        name="dailydialog", path=str(root), source_taxonomy="dailydialog", bad_rows=bad_rows
    )


def test_dailydialog_splits_utterances_with_turns(dailydialog_dir: Path) -> None:
    splits = load_corpus(dailydialog_config(dailydialog_dir), "unused").splits
    train = splits["train"]
    assert column(train, "text") == [
        "Say , Jim , how about a beer ?",
        "That is tempting .",
        "Great !",
        "I lost my keys .",
        "Oh no !",
    ]
    assert column(train, "labels") == [
        ["no_emotion"],
        ["no_emotion"],
        ["happiness"],
        ["sadness"],
        ["surprise"],
    ]
    assert column(train, "turn") == [0, 1, 2, 0, 1]
    assert (
        column(train, "dialogue_id") == ["dailydialog:train:d0"] * 3 + ["dailydialog:train:d1"] * 2
    )
    assert column(train, "speaker") == ["A", "B", "A", "A", "B"]
    assert provenance_of(train[3])["line"] == 2
    mapped, _ = map_corpus(splits, load_mapping("dailydialog", "emo11"), load_taxonomy("emo11"))
    assert column(mapped["train"], "labels")[2] == ["joy"]
    assert column(mapped["validation"], "labels") == [["anger"], ["neutral"]]


def test_dailydialog_count_mismatch_names_the_dialogue_line(dailydialog_dir: Path) -> None:
    codes = dailydialog_dir / "train" / "dialogues_emotion_train.txt"
    codes.write_text("0 0 4 \n5 \n")
    with pytest.raises(DataError, match=r"dialogues_train.txt:2: 2 utterances but 1 emotion"):
        load_corpus(dailydialog_config(dailydialog_dir), "unused")
    corpus = load_corpus(dailydialog_config(dailydialog_dir, "skip"), "unused")
    assert len(corpus.splits["train"]) == 3
    assert [(row.line, row.kind) for row in corpus.report.skipped] == [(2, "length_mismatch")]


def test_dailydialog_missing_emotion_line_is_recorded(dailydialog_dir: Path) -> None:
    (dailydialog_dir / "train" / "dialogues_emotion_train.txt").write_text("0 0 4 \n")
    corpus = load_corpus(dailydialog_config(dailydialog_dir, "skip"), "unused")
    assert len(corpus.splits["train"]) == 3
    assert corpus.report.skipped[0].reason == "dialogues_emotion_train.txt has no line 2"


TABULAR_ROWS = [
    {"text": "Thank you so much!", "labels": "gratitude,joy", "uid": "a1"},
    {"text": "This is unbearable.", "labels": "frustration", "uid": "a2"},
    {"text": "Just a Tuesday.", "labels": "", "uid": "a3"},
]


def wide(rows: list[dict[str, str]]) -> list[dict[str, object]]:
    labels = load_taxonomy("emo11").labels
    return [
        {
            "text": row["text"],
            "uid": row["uid"],
            **{label: int(label in row["labels"].split(",")) for label in labels},
        }
        for row in rows
    ]


def write_table(path: Path, rows: list[dict[str, object]]) -> None:
    frame = pd.DataFrame(rows)
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    elif path.suffix == ".tsv":
        frame.to_csv(path, index=False, sep="\t")
    elif path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    else:
        frame.to_parquet(path, index=False)


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl", ".parquet"])
@pytest.mark.parametrize("style", ["label_list", "wide"])
def test_tabular_formats_and_label_styles(tmp_path: Path, suffix: str, style: str) -> None:
    rows = wide(TABULAR_ROWS) if style == "wide" else TABULAR_ROWS
    write_table(tmp_path / f"train{suffix}", rows)  # type: ignore[arg-type]
    test_rows = [{"text": "Wow!", "labels": "surprise", "uid": "b1"}]
    test_rows = wide(test_rows) if style == "wide" else test_rows  # type: ignore[assignment]
    write_table(tmp_path / f"test{suffix}", test_rows)  # type: ignore[arg-type]
    labels = (
        {"label_columns": list(load_taxonomy("emo11").labels)}
        if style == "wide"
        else {"label_column": "labels"}
    )
    cfg = DataConfig(
        name="tabular",
        source="mine",
        path=str(tmp_path),
        source_taxonomy="emo11",
        train_file=f"train{suffix}",
        test_file=f"test{suffix}",
        id_column="uid",
        bad_rows="raise",
        **labels,
    )  # type: ignore[arg-type]
    corpus = load_corpus(cfg, "unused")
    train = corpus.splits["train"]
    assert column(train, "text") == [row["text"] for row in TABULAR_ROWS]
    assert column(train, "labels") == [["gratitude", "joy"], ["frustration"], []]
    assert column(train, "id") == ["mine:a1", "mine:a2", "mine:a3"]
    assert train[0]["multi_hot"] == load_taxonomy("emo11").multi_hot(["gratitude", "joy"])
    assert column(corpus.splits["test"], "labels") == [["surprise"]]
    assert len(corpus.splits["validation"]) == 0
    assert corpus.report.missing_splits == ["validation"]
    expected_line = 1 if suffix in (".jsonl", ".parquet") else 2
    assert provenance_of(train[0])["line"] == expected_line


def test_tabular_list_labels_in_jsonl_and_conversation_columns(tmp_path: Path) -> None:
    rows = [
        {"utterance": "Hi there", "emotions": ["joy"], "conv": "c1", "pos": 0, "who": "x"},
        {
            "utterance": "Go away",
            "emotions": ["anger", "contempt"],
            "conv": "c1",
            "pos": 1,
            "who": "y",
        },
    ]
    (tmp_path / "train.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    cfg = DataConfig(
        name="tabular",
        path=str(tmp_path),
        source_taxonomy="emo11",
        train_file="train.jsonl",
        text_column="utterance",
        label_column="emotions",
        dialogue_column="conv",
        turn_column="pos",
        speaker_column="who",
    )
    train = load_corpus(cfg, "unused").splits["train"]
    assert column(train, "labels") == [["joy"], ["anger", "contempt"]]
    assert column(train, "dialogue_id") == ["tabular:train:c1"] * 2
    assert column(train, "turn") == [0, 1]
    assert column(train, "speaker") == ["x", "y"]
    assert column(train, "id") == ["tabular:train:1", "tabular:train:2"]


def test_tabular_configuration_errors(tmp_path: Path) -> None:
    write_table(tmp_path / "train.csv", TABULAR_ROWS)  # type: ignore[arg-type]
    base = {"name": "tabular", "path": str(tmp_path), "source_taxonomy": "emo11"}
    with pytest.raises(DataError, match=r"exactly one of data\.label_column"):
        load_corpus(DataConfig(**base, train_file="train.csv"), "unused")  # type: ignore[arg-type]
    with pytest.raises(DataError, match=r"at least one of data\.train_file"):
        load_corpus(DataConfig(**base, label_column="labels"), "unused")  # type: ignore[arg-type]
    with pytest.raises(DataError, match=r"header lacks column\(s\) \['emotion'\]"):
        load_corpus(
            DataConfig(**base, train_file="train.csv", label_column="emotion"),  # type: ignore[arg-type]
            "unused",
        )
    with pytest.raises(DataError, match=r"label_columns \['happy'\] are not labels"):
        load_corpus(
            DataConfig(**base, train_file="train.csv", label_columns=["happy"]),  # type: ignore[arg-type]
            "unused",
        )


def test_missing_local_copy_without_hub_id_names_the_path(tmp_path: Path) -> None:
    cfg = DataConfig(name="meld", folder="meld", source_taxonomy="meld")
    with pytest.raises(CorpusNotFoundError, match=f"no local copy of 'meld' at {tmp_path}/meld"):
        load_corpus(cfg, tmp_path)


def test_hub_failure_names_local_path_and_hub_id(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cfg = DataConfig(name="goemotions", folder="goemotions", hub_id="no-such-org/no-such-set")
    with pytest.raises(CorpusNotFoundError) as error:
        load_corpus(cfg, tmp_path)
    message = str(error.value)
    assert str(tmp_path / "goemotions") in message
    assert "'no-such-org/no-such-set'" in message and "failed" in message


def builder_for(taxonomy: str, source: str) -> CorpusBuilder:
    return CorpusBuilder(source, load_taxonomy(taxonomy), "en", LoadReport(source, "raise"))


def test_goemotions_hub_layout_converts_like_the_tsv() -> None:
    names = list(load_taxonomy("goemotions").labels)
    hub = datasets.Dataset.from_dict(
        {"text": ["So funny", "Hmm"], "labels": [[1, 17], [27]], "id": ["c1", "c2"]},
        features=datasets.Features(
            {
                "text": datasets.Value("string"),
                "labels": datasets.Sequence(datasets.ClassLabel(names=names)),
                "id": datasets.Value("string"),
            }
        ),
    )
    builder = builder_for("goemotions", "goemotions")
    cfg = DataConfig(hub_id="google-research-datasets/go_emotions", hub_config="simplified")
    goemotions.read_hub({"train": hub}, cfg, builder)
    train = builder.finish()["train"]
    assert column(train, "labels") == [["amusement", "joy"], ["neutral"]]
    assert column(train, "id") == ["goemotions:c1", "goemotions:c2"]
    assert provenance_of(train[0])["file"] == "train"
    assert builder.report.files == {
        "train": ["hub:google-research-datasets/go_emotions/simplified/train"]
    }


def test_dailydialog_hub_layout_converts_like_the_release() -> None:
    hub = datasets.Dataset.from_dict(
        {
            "dialog": [["Hello . ", "Hi ! "]],
            "act": [[1, 1]],
            "emotion": [[0, 4]],
        }
    )
    builder = builder_for("dailydialog", "dailydialog")
    dailydialog.read_hub(
        {"test": hub}, DataConfig(hub_id="li2017dailydialog/daily_dialog"), builder
    )
    test = builder.finish()["test"]
    assert column(test, "text") == ["Hello .", "Hi !"]
    assert column(test, "labels") == [["no_emotion"], ["happiness"]]
    assert column(test, "turn") == [0, 1]


def test_semeval_hub_layout_converts_booleans() -> None:
    record: dict[str, list[object]] = {"ID": ["t1"], "Tweet": ["So happy"]}
    record.update({label: [label in ("joy", "optimism")] for label in SEMEVAL_LABELS})
    builder = builder_for("semeval_ec", "semeval_ec_en")
    semeval_ec.read_hub(
        {"train": datasets.Dataset.from_dict(record)},
        DataConfig(hub_id="SemEvalWorkshop/sem_eval_2018_task_1"),
        builder,
    )
    assert column(builder.finish()["train"], "labels") == [["joy", "optimism"]]
