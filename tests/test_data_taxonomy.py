"""Taxonomy and label-mapping files: every one validates, and bad ones fail by name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emoexp.data.taxonomy import (
    DROP,
    KEEP_EMPTY,
    MAPPING_DIR,
    TAXONOMY_DIR,
    MappingError,
    Taxonomy,
    available_mappings,
    load_mapping,
    load_taxonomy,
    parse_mapping,
)

EMO11 = [
    "anger",
    "contempt",
    "disgust",
    "fear",
    "frustration",
    "gratitude",
    "joy",
    "love",
    "neutral",
    "sadness",
    "surprise",
]
GOEMOTIONS_TO_EMO11 = {
    "anger": ["anger"],
    "frustration": ["annoyance", "disappointment"],
    "contempt": ["disapproval"],
    "disgust": ["disgust", "embarrassment"],
    "fear": ["fear", "nervousness"],
    "gratitude": ["gratitude"],
    "joy": ["joy", "amusement", "excitement", "optimism", "pride", "relief", "approval"],
    "love": ["love", "caring", "admiration", "desire"],
    "sadness": ["sadness", "grief", "remorse"],
    "surprise": ["surprise", "realization", "confusion", "curiosity"],
    "neutral": ["neutral"],
}


def mapping_pairs() -> list[tuple[str, str]]:
    return [tuple(stem.split("_to_")) for stem in available_mappings()]  # type: ignore[misc]


def test_every_taxonomy_file_loads_with_its_metadata() -> None:
    names = sorted(path.stem for path in TAXONOMY_DIR.glob("*.yaml"))
    assert {
        "emo11",
        "goemotions",
        "semeval_ec",
        "ekman",
        "meld",
        "emorynlp",
        "dailydialog",
        "tweeteval",
    } <= set(names)
    for name in names:
        taxonomy = load_taxonomy(name)
        assert taxonomy.name == name
        assert taxonomy.description and taxonomy.source, name


def test_label_orders_follow_the_releases(data_dir: Path) -> None:
    assert load_taxonomy("emo11").labels == tuple(EMO11)
    emotions = (data_dir / "goemotions" / "emotions.txt").read_text().split()
    assert load_taxonomy("goemotions").labels == tuple(emotions)
    assert len(load_taxonomy("semeval_ec")) == 11
    assert load_taxonomy("dailydialog").labels[0] == "no_emotion"
    assert load_taxonomy("emorynlp").labels == (
        "Joyful",
        "Mad",
        "Neutral",
        "Peaceful",
        "Powerful",
        "Sad",
        "Scared",
    )


@pytest.mark.parametrize(("source", "target"), mapping_pairs())
def test_every_mapping_file_validates_and_covers_its_source(source: str, target: str) -> None:
    mapping = load_mapping(source, target)
    assert set(mapping.table) == set(load_taxonomy(source).labels)
    assert mapping.unmapped and mapping.unlabelled
    header = (MAPPING_DIR / f"{source}_to_{target}.yaml").read_text().splitlines()[0]
    assert header.startswith("#"), "each mapping file starts with a comment explaining it"


def test_required_mappings_exist() -> None:
    required = {
        "goemotions_to_emo11",
        "semeval_ec_to_emo11",
        "meld_to_emo11",
        "emorynlp_to_emo11",
        "dailydialog_to_emo11",
        "ekman_to_emo11",
        "tweeteval_to_emo11",
        "goemotions_to_ekman",
        "emo11_to_ekman",
        "emo11_to_meld",
    }
    assert required <= set(available_mappings())


def test_goemotions_to_emo11_is_exactly_the_agreed_grouping() -> None:
    mapping = load_mapping("goemotions", "emo11")
    inverted: dict[str, set[str]] = {}
    for source, targets in mapping.table.items():
        assert len(targets) == 1, source
        inverted.setdefault(targets[0], set()).add(source)
    assert inverted == {target: set(sources) for target, sources in GOEMOTIONS_TO_EMO11.items()}


def test_goemotions_to_ekman_follows_the_release_json(data_dir: Path) -> None:
    release = json.loads((data_dir / "goemotions" / "ekman_mapping.json").read_text())
    mapping = load_mapping("goemotions", "ekman")
    for ekman, sources in release.items():
        for source in sources:
            assert mapping.table[source] == (ekman,)
    assert mapping.table["neutral"] == ("neutral",)


def test_map_labels_unions_and_orders_by_target() -> None:
    mapping = load_mapping("goemotions", "emo11")
    assert mapping.map_labels(["joy", "annoyance"]) == ["frustration", "joy"]
    assert mapping.map_labels(["amusement", "joy", "excitement"]) == ["joy"]
    with pytest.raises(MappingError, match="'anger_x'"):
        mapping.map_labels(["anger_x"])


def test_rules_drop_fill_and_keep_empty() -> None:
    semeval = load_mapping("semeval_ec", "emo11")
    assert semeval.resolve(["trust"]) == (None, "unmapped")  # only unmappable labels: drop
    assert semeval.resolve([]) == (["neutral"], "unlabelled")  # "neutral or no emotion"
    assert semeval.resolve(["trust", "optimism", "joy"]) == (["joy"], None)
    to_ekman = load_mapping("emo11", "ekman")
    assert to_ekman.unmapped == KEEP_EMPTY
    assert to_ekman.resolve([]) == ([], "unlabelled")
    assert load_mapping("emorynlp", "emo11").unmapped == DROP


def test_identity_mapping_when_source_equals_target() -> None:
    mapping = load_mapping("meld", "meld")
    assert mapping.map_labels(["joy", "anger"]) == ["anger", "joy"]
    assert mapping.resolve([]) == ([], "unlabelled")


def test_missing_mapping_lists_the_available_ones() -> None:
    with pytest.raises(MappingError, match=r"available:.*goemotions_to_emo11"):
        load_mapping("meld", "goemotions")
    with pytest.raises(MappingError, match=r"no taxonomy 'nope'.*emo11"):
        load_taxonomy("nope")


def write_mapping(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "meld_to_ekman.yaml"
    path.write_text("# test mapping\nsource: meld\ntarget: ekman\n" + body)
    return path


MELD_TABLE = "".join(
    f"  {label}: [{label}]\n"
    for label in ("anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise")
)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("unmapped: drop\nmap:\n" + MELD_TABLE + "  joyy: [joy]\n", "source label 'joyy'"),
        (
            "unmapped: drop\nmap:\n" + MELD_TABLE.replace("[fear]", "[scared]"),
            "target label 'scared'",
        ),
        (
            "unmapped: drop\nmap:\n" + MELD_TABLE.replace("  fear: [fear]\n", ""),
            r"not listed in 'map': \['fear'\]",
        ),
        ("unmapped: vanish\nmap:\n" + MELD_TABLE, "unmapped rule 'vanish'"),
        ("map:\n" + MELD_TABLE, "'unmapped' rule missing"),
        ("unmapped: drop\nmap:\n" + MELD_TABLE.replace("[joy]", "joy"), "must be a list"),
    ],
)
def test_invalid_mapping_names_file_and_label(tmp_path: Path, body: str, message: str) -> None:
    path = write_mapping(tmp_path, body)
    with pytest.raises(MappingError, match=message) as error:
        parse_mapping(path, load_taxonomy("meld"), load_taxonomy("ekman"))
    assert str(path) in str(error.value)


def test_valid_custom_mapping_parses(tmp_path: Path) -> None:
    path = write_mapping(tmp_path, "unmapped: neutral\nunlabelled: keep_empty\nmap:\n" + MELD_TABLE)
    mapping = parse_mapping(path, load_taxonomy("meld"), load_taxonomy("ekman"))
    assert mapping.unmapped == "neutral"
    assert mapping.unlabelled == KEEP_EMPTY


def test_taxonomy_vectors_and_errors() -> None:
    taxonomy = Taxonomy("t", ("a", "b", "c"))
    assert taxonomy.multi_hot(["c", "a"]) == [1.0, 0.0, 1.0]
    assert taxonomy.names_of([0.0, 1.0, 1.0]) == ["b", "c"]
    assert taxonomy.index("b") == 1
    with pytest.raises(KeyError, match="'d' is not in taxonomy 't'"):
        taxonomy.index("d")
    with pytest.raises(MappingError, match="twice"):
        Taxonomy("t", ("a", "a"))
