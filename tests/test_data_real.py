"""The loaders on the real releases: published split sizes and label counts, the EmoryNLP
JSON against its text files, mappings row by row, and context lookup on real dialogues.

Each corpus is read once for the module (GoEmotions, all splits, takes about a second).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import datasets
import pytest
from test_data_taxonomy import GOEMOTIONS_TO_EMO11

from emoexp.data.columns import column
from emoexp.data.config import DataConfig
from emoexp.data.conversation import preceding_turns
from emoexp.data.loading import LoadedCorpus, load_corpus, map_corpus
from emoexp.data.sampling import stratified_sample
from emoexp.data.schema import FEATURES, provenance_of
from emoexp.data.taxonomy import load_mapping, load_taxonomy


def config(name: str, **overrides: object) -> DataConfig:
    return DataConfig(name=name, folder=name, source_taxonomy=name, bad_rows="raise", **overrides)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def goemotions(data_dir: Path) -> LoadedCorpus:
    return load_corpus(config("goemotions"), data_dir)


@pytest.fixture(scope="module")
def meld(data_dir: Path) -> LoadedCorpus:
    return load_corpus(config("meld"), data_dir)


@pytest.fixture(scope="module")
def emorynlp(data_dir: Path) -> LoadedCorpus:
    return load_corpus(config("emorynlp"), data_dir)


@pytest.fixture(scope="module")
def goemotions_emo11(goemotions: LoadedCorpus) -> tuple[datasets.DatasetDict, dict]:
    return map_corpus(
        goemotions.splits, load_mapping("goemotions", "emo11"), load_taxonomy("emo11")
    )


def sizes(corpus: LoadedCorpus) -> dict[str, int]:
    return {split: len(ds) for split, ds in corpus.splits.items()}


def test_goemotions_split_sizes_and_label_distribution(goemotions: LoadedCorpus) -> None:
    assert sizes(goemotions) == {"train": 43410, "validation": 5426, "test": 5427}
    assert goemotions.report.rows_skipped == 0
    per_row = Counter(len(labels) for labels in column(goemotions.splits["train"], "labels"))
    assert per_row == {1: 36308, 2: 6541, 3: 532, 4: 28, 5: 1}


def test_goemotions_rows_follow_the_schema(goemotions: LoadedCorpus) -> None:
    train = goemotions.splits["train"]
    assert train.features == FEATURES
    first = train[0]
    assert first["id"] == "goemotions:eebbqej"
    assert first["text"] == "My favourite food is anything I didn't have to cook myself."
    assert first["labels"] == ["neutral"]
    assert first["multi_hot"][27] == 1.0 and sum(first["multi_hot"]) == 1.0
    assert (first["taxonomy"], first["language"], first["source"], first["split"]) == (
        "goemotions",
        "en",
        "goemotions",
        "train",
    )
    assert provenance_of(first) == {"origin": "human", "file": "train.tsv", "line": 1}
    ids = [row_id for ds in goemotions.splits.values() for row_id in column(ds, "id")]
    assert len(set(ids)) == len(ids)
    assert set(column(goemotions.splits["validation"], "split")) == {"validation"}


def test_goemotions_quotes_are_kept_as_released(goemotions: LoadedCorpus, data_dir: Path) -> None:
    raw = (data_dir / "goemotions" / "train.tsv").read_text(encoding="utf-8").split("\n")
    quoted = [i for i, line in enumerate(raw) if '"' in line.split("\t")[0]]
    assert len(quoted) > 500
    texts = column(goemotions.splits["train"], "text")
    for i in quoted[:50]:
        assert texts[i] == raw[i].split("\t")[0]


def test_meld_split_sizes_dialogues_and_labels(meld: LoadedCorpus) -> None:
    assert sizes(meld) == {"train": 9989, "validation": 1109, "test": 2610}
    train = meld.splits["train"]
    assert Counter(label for labels in column(train, "labels") for label in labels) == {
        "neutral": 4710,
        "joy": 1743,
        "surprise": 1205,
        "anger": 1109,
        "sadness": 683,
        "disgust": 271,
        "fear": 268,
    }
    second = meld.splits["validation"][1]
    assert (second["text"], second["speaker"], second["dialogue_id"], second["turn"]) == (
        "What?",
        "Monica",
        "meld:validation:0",
        1,
    )
    assert provenance_of(second)["sentiment"] == "negative"
    assert "’" in meld.splits["validation"][0]["text"]  # curly quotes kept as released


def test_emorynlp_split_sizes_and_train_label_counts(emorynlp: LoadedCorpus) -> None:
    assert sizes(emorynlp) == {"train": 9934, "validation": 1344, "test": 1328}
    counts = Counter(labels[0] for labels in column(emorynlp.splits["train"], "labels"))
    assert counts == {
        "Neutral": 3034,
        "Joyful": 2184,
        "Scared": 1285,
        "Mad": 1076,
        "Peaceful": 900,
        "Powerful": 784,
        "Sad": 671,
    }
    first = emorynlp.splits["train"][0]
    assert (first["speaker"], first["dialogue_id"], first["turn"]) == (
        "Monica Geller",
        "emorynlp:train:d0",
        0,
    )


@pytest.mark.parametrize(
    ("split", "json_name"),
    [("validation", "emotion-detection-dev.json"), ("test", "emotion-detection-tst.json")],
)
def test_emorynlp_json_agrees_with_text_files(
    emorynlp: LoadedCorpus, data_dir: Path, split: str, json_name: str
) -> None:
    overrides = {f"{split}_file": json_name}
    from_json = load_corpus(config("emorynlp", **overrides), data_dir).splits[split]
    from_text = emorynlp.splits[split]
    assert len(from_json) == len(from_text)
    columns = ["id", "text", "labels", "dialogue_id", "turn", "speaker"]
    for row_json, row_text in zip(
        from_json.select_columns(columns), from_text.select_columns(columns), strict=True
    ):
        assert row_json == row_text
    provenance = provenance_of(from_json[0])
    assert provenance["file"] == json_name and provenance["utterance_id"].endswith("_u001")
    raw_line = (data_dir / "emorynlp" / json_name).read_text().split("\n")[provenance["line"] - 1]
    assert provenance["utterance_id"] in raw_line


def test_goemotions_to_emo11_row_by_row(
    goemotions: LoadedCorpus, goemotions_emo11: tuple[datasets.DatasetDict, dict]
) -> None:
    mapped, stats = goemotions_emo11
    source_train, train = goemotions.splits["train"], mapped["train"]
    assert len(train) == len(source_train) == stats["splits"]["train"]["rows_after"]
    emo11 = load_taxonomy("emo11")
    by_id = dict(zip(column(train, "id"), column(train, "labels"), strict=True))
    # eev8vlb is annotated annoyance + joy in train.tsv
    assert by_id["goemotions:eev8vlb"] == ["frustration", "joy"]
    checked = 0
    for source_row, row in zip(
        source_train.select(range(2000)), train.select(range(2000)), strict=True
    ):
        expected = {t for s in source_row["labels"] for t in GROUPS[s]}
        assert set(row["labels"]) == expected
        assert row["multi_hot"] == emo11.multi_hot(row["labels"])
        assert provenance_of(row)["source_labels"] == source_row["labels"]
        assert row["taxonomy"] == "emo11"
        checked += 1
    assert checked == 2000
    assert sum(stats["splits"]["train"]["label_counts"].values()) == sum(
        len(labels) for labels in column(train, "labels")
    )


GROUPS = {source: {target} for target, sources in GOEMOTIONS_TO_EMO11.items() for source in sources}


def test_emorynlp_to_emo11_drops_and_counts_peaceful_and_powerful(
    emorynlp: LoadedCorpus,
) -> None:
    mapped, stats = map_corpus(
        emorynlp.splits, load_mapping("emorynlp", "emo11"), load_taxonomy("emo11")
    )
    train_stats = stats["splits"]["train"]
    assert train_stats["dropped_by_rule"] == {"unmapped": 900 + 784}
    assert train_stats["rows_after"] == len(mapped["train"]) == 9934 - 1684
    assert train_stats["label_counts"]["joy"] == 2184
    assert train_stats["label_counts"]["fear"] == 1285
    for split in ("validation", "test"):
        source_labels = Counter(labels[0] for labels in column(emorynlp.splits[split], "labels"))
        dropped = source_labels["Peaceful"] + source_labels["Powerful"]
        assert stats["splits"][split]["dropped_by_rule"] == {"unmapped": dropped}


def test_meld_to_emo11_keeps_every_row(meld: LoadedCorpus) -> None:
    mapped, stats = map_corpus(meld.splits, load_mapping("meld", "emo11"), load_taxonomy("emo11"))
    assert {split: len(ds) for split, ds in mapped.items()} == sizes(meld)
    assert column(mapped["test"], "labels") == column(
        meld.splits["test"], "labels"
    )  # same names in emo11
    assert stats["splits"]["test"]["dropped_by_rule"] == {}


def test_seed_sampling_on_real_goemotions(
    goemotions_emo11: tuple[datasets.DatasetDict, dict],
) -> None:
    train = goemotions_emo11[0]["train"]
    emo11 = load_taxonomy("emo11")
    first = stratified_sample(train, emo11, 50, seed=3)
    again = stratified_sample(train, emo11, 50, seed=3)
    other = stratified_sample(train, emo11, 50, seed=4)
    assert column(first.dataset, "id") == column(again.dataset, "id")
    assert column(first.dataset, "id") != column(other.dataset, "id")
    counts = Counter(label for labels in column(first.dataset, "labels") for label in labels)
    assert all(counts[label] >= 50 for label in emo11.labels)
    assert first.short_classes == []
    rarest = min(emo11.labels, key=lambda label: first.available[label])
    assert counts[rarest] == 50


def test_preceding_turns_on_real_meld_dialogues(meld: LoadedCorpus) -> None:
    validation = meld.splits["validation"]
    texts, dialogues = column(validation, "text"), column(validation, "dialogue_id")
    context = preceding_turns(validation, window=2)
    # dialogue 0 has turns 0-1 (rows 0-1), dialogue 1 starts at row 2
    assert context[:5] == [[], [texts[0]], [], [texts[2]], [texts[2], texts[3]]]
    for i, row_context in enumerate(context):
        same = [j for j in range(max(0, i - 2), i) if dialogues[j] == dialogues[i]]
        assert row_context == [texts[j] for j in same]
    # context comes from the pool: rows dropped from the subset still provide their text
    subset = validation.select([2, 4])
    assert preceding_turns(subset, 2) == [[], [texts[2]]]
    assert preceding_turns(subset, 2, pool=validation) == [[], [texts[2], texts[3]]]


def test_report_is_json_serialisable(goemotions: LoadedCorpus) -> None:
    report = json.loads(json.dumps(goemotions.report.to_dict()))
    assert report["rows_read"] == {"train": 43410, "validation": 5426, "test": 5427}
    assert report["rows_skipped"] == 0
    assert report["files"]["train"][0].endswith("train.tsv")
