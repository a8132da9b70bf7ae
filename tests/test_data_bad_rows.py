"""Bad rows under both policies: 'raise' names file:line and reason, 'skip' records and
counts every refused row while keeping the good ones. Nothing disappears silently."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from emoexp.data.config import DataConfig
from emoexp.data.loading import LoadedCorpus, load_corpus
from emoexp.data.report import DataError, LoadReport

GOOD_TSV = [b"Great game tonight\t17\tg1", b"I guess so\t27\tg2"]

# (case, bad line written between the two good ones, expected kind, words in the reason)
GOEMOTIONS_CASES = [
    ("empty text", b"\t17\tb1", "empty_text", "empty text"),
    ("unknown label id", b"Hello\t28\tb1", "unknown_label", "label id 28 outside 0..27"),
    ("wrong column count", b"Hello\t17", "wrong_columns", "expected 3 tab-separated fields"),
    ("bad encoding", b"caf\xe9 au lait\t17\tb1", "bad_encoding", "not valid utf-8"),
    ("unparsable label", b"Hello\tjoy\tb1", "bad_label", "unparsable label id 'joy'"),
    ("no label", b"Hello\t\tb1", "bad_label", "no label ids"),
    ("duplicate id", b"Hello again\t17\tg1", "duplicate_id", "id 'goemotions:g1' already used"),
]


def goemotions_folder(root: Path, data_dir: Path, bad_line: bytes) -> Path:
    folder = root / "goemotions"
    folder.mkdir()
    (folder / "emotions.txt").write_bytes((data_dir / "goemotions" / "emotions.txt").read_bytes())
    (folder / "train.tsv").write_bytes(b"\n".join([GOOD_TSV[0], bad_line, GOOD_TSV[1]]) + b"\n")
    (folder / "dev.tsv").write_bytes(b"Fine\t27\td1\n")
    (folder / "test.tsv").write_bytes(b"Fine too\t27\tt1\n")
    return folder


def load(folder: Path, policy: str, **overrides: object) -> LoadedCorpus:
    cfg = DataConfig(path=str(folder), bad_rows=policy, **overrides)  # type: ignore[arg-type]
    return load_corpus(cfg, "unused")


@pytest.mark.parametrize(
    ("case", "line", "kind", "reason"), GOEMOTIONS_CASES, ids=[case[0] for case in GOEMOTIONS_CASES]
)
def test_goemotions_bad_row_raises_with_file_and_line(
    tmp_path: Path, data_dir: Path, case: str, line: bytes, kind: str, reason: str
) -> None:
    folder = goemotions_folder(tmp_path, data_dir, line)
    with pytest.raises(DataError) as error:
        load(folder, "raise")
    assert str(error.value).startswith(f"{folder / 'train.tsv'}:2: ")
    assert reason in str(error.value)
    assert (error.value.file, error.value.line) == (str(folder / "train.tsv"), 2)


@pytest.mark.parametrize(
    ("case", "line", "kind", "reason"), GOEMOTIONS_CASES, ids=[case[0] for case in GOEMOTIONS_CASES]
)
def test_goemotions_bad_row_skipped_is_counted_and_recorded(
    tmp_path: Path, data_dir: Path, case: str, line: bytes, kind: str, reason: str
) -> None:
    folder = goemotions_folder(tmp_path, data_dir, line)
    corpus = load(folder, "skip")
    train = corpus.splits["train"]
    assert train["text"][:] == ["Great game tonight", "I guess so"]
    report = corpus.report.to_dict()
    assert report["rows_skipped"] == 1
    assert report["skipped_by_kind"] == {kind: 1}
    (skipped,) = report["skipped_rows"]
    assert (skipped["file"], skipped["line"], skipped["kind"]) == (
        str(folder / "train.tsv"),
        2,
        kind,
    )
    assert reason in skipped["reason"]
    assert report["rows_read"] == {"train": 2, "validation": 1, "test": 1}


def test_every_bad_row_of_a_file_is_recorded(tmp_path: Path, data_dir: Path) -> None:
    bad = b"\n".join(line for _, line, _, _ in GOEMOTIONS_CASES[:5])
    folder = goemotions_folder(tmp_path, data_dir, bad)
    corpus = load(folder, "skip")
    assert [row.line for row in corpus.report.skipped] == [2, 3, 4, 5, 6]
    assert len(corpus.splits["train"]) == 2


def test_unknown_policy_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"data\.bad_rows must be one of"):
        LoadReport("x", "ignore")


MELD_HEADER = (
    "Sr No.,Utterance,Speaker,Emotion,Sentiment,Dialogue_ID,Utterance_ID,Season,"
    "Episode,StartTime,EndTime"
)
MELD_GOOD = (
    '1,"Oh my God, he’s lost it.",Phoebe,sadness,negative,0,0,4,7,"00:20:57,256","00:21:00,049"'
)
MELD_CASES = [
    (
        "unknown label",
        '2,What?,Monica,confused,negative,0,1,4,7,"a","b"',
        "unknown_label",
        "label(s) ['confused'] not in taxonomy 'meld'",
    ),
    ("empty text", '2,"",Monica,surprise,negative,0,1,4,7,"a","b"', "empty_text", "empty text"),
    (
        "wrong column count",
        "2,What?,Monica,surprise,negative,0,1",
        "wrong_columns",
        "expected 11 fields as in the header, found 7",
    ),
    (
        "bad turn",
        '2,What?,Monica,surprise,negative,0,x,4,7,"a","b"',
        "bad_field",
        "Utterance_ID 'x'",
    ),
]


@pytest.mark.parametrize(
    ("case", "line", "kind", "reason"), MELD_CASES, ids=[case[0] for case in MELD_CASES]
)
def test_meld_bad_rows_under_both_policies(
    tmp_path: Path, case: str, line: str, kind: str, reason: str
) -> None:
    folder = tmp_path / "meld"
    folder.mkdir()
    for name in ("train", "dev", "test"):
        rows = [MELD_HEADER, MELD_GOOD] + ([line] if name == "train" else [])
        (folder / f"{name}_sent_emo.csv").write_text("\r\n".join(rows) + "\r\n", encoding="utf-8")
    cfg = {"name": "meld", "source_taxonomy": "meld"}
    with pytest.raises(DataError, match=rf"train_sent_emo.csv:3: .*{re.escape(reason)}"):
        load(folder, "raise", **cfg)
    corpus = load(folder, "skip", **cfg)
    assert len(corpus.splits["train"]) == 1
    assert [(row.line, row.kind) for row in corpus.report.skipped] == [(3, kind)]
    assert reason in corpus.report.skipped[0].reason


def test_emorynlp_bad_rows_keep_turn_positions(tmp_path: Path) -> None:
    folder = tmp_path / "emorynlp"
    folder.mkdir()
    (folder / "EMORY_train.txt").write_text(
        "Ross\tHi.\tJoyful\nRachel\tHey\nMonica\tSo?\tNeutral\n\nJoey\tHow you doin?\tHappy\n"
    )
    for name in ("dev", "test"):
        (folder / f"EMORY_{name}.txt").write_text("Ross\tHi.\tJoyful\n")
    cfg = {"name": "emorynlp", "source_taxonomy": "emorynlp"}
    with pytest.raises(DataError, match=r"EMORY_train.txt:2: expected 3 tab-separated"):
        load(folder, "raise", **cfg)
    corpus = load(folder, "skip", **cfg)
    train = corpus.splits["train"]
    assert train["text"][:] == ["Hi.", "So?"]
    assert train["turn"][:] == [0, 2]
    assert [(row.line, row.kind) for row in corpus.report.skipped] == [
        (2, "wrong_columns"),
        (5, "unknown_label"),
    ]


def test_tabular_bad_rows(tmp_path: Path) -> None:
    lines = [
        json.dumps({"text": "fine", "anger": 1, "joy": 0}),
        "{not json",
        json.dumps({"text": "odd", "anger": "maybe", "joy": 0}),
        json.dumps({"anger": 1, "joy": 0}),
        json.dumps(["a", "list"]),
    ]
    (tmp_path / "train.jsonl").write_text("\n".join(lines) + "\n")
    cfg = {
        "name": "tabular",
        "source_taxonomy": "emo11",
        "train_file": "train.jsonl",
        "label_columns": ["anger", "joy"],
    }
    with pytest.raises(DataError, match=r"train.jsonl:2: invalid JSON"):
        load(tmp_path, "raise", **cfg)
    corpus = load(tmp_path, "skip", **cfg)
    assert corpus.splits["train"]["labels"][:] == [["anger"]]
    assert [(row.line, row.kind) for row in corpus.report.skipped] == [
        (2, "bad_json"),
        (3, "bad_label"),
        (4, "bad_field"),
        (5, "bad_json"),
    ]
    assert "column 'anger' holds 'maybe'" in corpus.report.skipped[1].reason


def test_tabular_csv_record_with_broken_quoting(tmp_path: Path) -> None:
    (tmp_path / "train.csv").write_text('text,labels\n"fine",joy\n"one","two","three"\n')
    cfg = {
        "name": "tabular",
        "source_taxonomy": "emo11",
        "train_file": "train.csv",
        "label_column": "labels",
    }
    corpus = load(tmp_path, "skip", **cfg)
    assert corpus.splits["train"]["text"][:] == ["fine"]
    assert [(row.line, row.kind) for row in corpus.report.skipped] == [(3, "wrong_columns")]
