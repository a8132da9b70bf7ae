"""apply_filters end to end on real rows: verdicts in provenance, report counts, threshold
sweeps from cached scores, label consistency and the LLM judge."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import datasets
import pytest
from omegaconf import OmegaConf

from emoexp.data.config import DataConfig
from emoexp.data.loading import load_corpus, map_corpus
from emoexp.data.sampling import sample_rows
from emoexp.data.schema import FEATURES, Row, provenance_of, rows_to_dataset
from emoexp.data.taxonomy import Taxonomy, load_mapping, load_taxonomy
from emoexp.filters import (
    FILTER_ORDER,
    FilterContext,
    FilterScores,
    apply_filters,
    decide,
    score_rows,
    scoring_key,
    write_filter_report,
)
from emoexp.filters.config import FilterConfig
from emoexp.llm.fake import FakeBackend
from emoexp.llm.types import ChatRequest
from emoexp.paths import CONF_DIR

FRENCH = "Je suis vraiment furieux contre mon propriétaire, il a gardé toute la caution."


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy("emo11")


@pytest.fixture(scope="module")
def emo11(data_dir: Path, taxonomy: Taxonomy) -> datasets.DatasetDict:
    corpus = load_corpus(DataConfig(), str(data_dir))
    splits, _ = map_corpus(corpus.splits, load_mapping("goemotions", "emo11"), taxonomy)
    return splits


@pytest.fixture(scope="module")
def seed(emo11: datasets.DatasetDict) -> datasets.Dataset:
    return sample_rows(emo11["train"].select(range(20000)), 3000, 0)


def as_synthetic(
    taxonomy: Taxonomy, items: Sequence[tuple[str, list[str]] | tuple[str, list[str], str]]
) -> datasets.Dataset:
    rows = []
    for index, item in enumerate(items):
        language = item[2] if len(item) == 3 else "en"
        rows.append(
            Row(
                id=f"syn{index}",
                text=item[0],
                labels=list(item[1]),
                multi_hot=taxonomy.multi_hot(item[1]),
                taxonomy=taxonomy.name,
                language=language,
                source="synthetic",
                provenance={"strategy": "naive", "model": "test"},
            )
        )
    return rows_to_dataset(rows)


def real_rows(ds: datasets.Dataset, start: int, count: int) -> list[tuple[str, list[str]]]:
    window = ds.select(range(start, start + count))
    return list(zip(window["text"], window["labels"], strict=True))


def default_config() -> FilterConfig:
    """conf/filter/default.yaml on the typed schema, as Hydra composes it."""
    merged = OmegaConf.merge(
        OmegaConf.structured(FilterConfig), OmegaConf.load(CONF_DIR / "filter" / "default.yaml")
    )
    # the TF-IDF judge keeps these tests fast; the multilingual encoder judge is exercised in
    # test_filters_multilingual.py
    merged.label_consistency.scorer = "tfidf"
    return merged  # type: ignore[return-value]


def fast_config() -> FilterConfig:
    """The schema defaults with the TF-IDF label-consistency judge."""
    cfg = FilterConfig()
    cfg.label_consistency.scorer = "tfidf"
    return cfg


def test_every_row_is_accounted_for_with_its_verdicts(
    emo11: datasets.DatasetDict, seed: datasets.Dataset, taxonomy: Taxonomy, tmp_path: Path
) -> None:
    test = emo11["test"].select(range(2000))
    planted = [
        (FRENCH, ["anger"]),
        ("As an AI language model, I cannot write that text for you.", ["anger"]),
        (test[7]["text"], list(test[7]["labels"])),
        ("I feel so angry about the way my landlord treats us", ["anger"]),
        ("ok", ["neutral"]),
    ]
    items = real_rows(emo11["train"], 30000, 200) + planted
    synthetic = as_synthetic(taxonomy, items)
    context = FilterContext(taxonomy=taxonomy, seed=seed, reference={"test": test})
    cfg = default_config()
    output = apply_filters(cfg, synthetic, context)
    report = output.report

    assert len(output.kept) + len(output.rejected) == len(synthetic) == report["input_rows"]
    assert report["kept_rows"] == len(output.kept)
    assert output.kept.features == FEATURES and output.rejected.features == FEATURES
    enabled = [name for name in FILTER_ORDER if name != "judge"]
    assert report["order"] == enabled
    assert sum(f["first_failure"] for f in report["per_filter"].values()) == len(output.rejected)
    assert sum(report["rejected_by_reason"].values()) == len(output.rejected)
    for name, entry in report["per_filter"].items():
        assert entry["passed"] + entry["failed"] == len(synthetic), name
    per_class_input = {label: entry["input"] for label, entry in report["per_class"].items()}
    assert per_class_input == report["label_distribution"]["before"]
    assert report["per_language"]["en"]["input"] == len(synthetic)
    kept_labels = Counter(label for labels in output.kept["labels"] for label in labels)
    assert report["label_distribution"]["after"] == dict(sorted(kept_labels.items()))

    decisions = {}
    for split, kept in ((output.kept, True), (output.rejected, False)):
        for row in split:
            provenance = provenance_of(row)
            assert provenance["strategy"] == "naive"  # the generator's provenance survives
            assert set(provenance["filters"]) == set(enabled)
            assert provenance["filter_decision"]["order"] == enabled
            assert provenance["filter_decision"]["kept"] is kept
            verdicts = [provenance["filters"][name]["keep"] for name in enabled]
            assert all(verdicts) is kept
            if not kept:
                first = next(name for name in enabled if not provenance["filters"][name]["keep"])
                assert provenance["filter_decision"]["rejected_by"] == first
            decisions[row["id"]] = provenance["filter_decision"]
    n = len(items)
    assert decisions[f"syn{n - 5}"]["reason"] == "wrong_language"
    assert decisions[f"syn{n - 4}"]["reason"] == "boilerplate:as_an_ai"
    assert decisions[f"syn{n - 3}"]["reason"] == "exact_duplicate_of_test"
    assert decisions[f"syn{n - 2}"]["reason"] == "names_own_emotion"
    assert decisions[f"syn{n - 1}"]["reason"] == "too_few_chars"

    json_path, markdown_path = write_filter_report(report, tmp_path)
    assert json.loads(json_path.read_text())["kept_rows"] == report["kept_rows"]
    markdown = markdown_path.read_text()
    assert "| filter | passed | failed | first failure | top reasons |" in markdown
    assert "| label_consistency |" in markdown and "| anger |" in markdown


def test_label_consistency_sweep_reuses_scores_and_is_monotone(
    emo11: datasets.DatasetDict, seed: datasets.Dataset, taxonomy: Taxonomy
) -> None:
    only_consistency = fast_config()
    for name in FILTER_ORDER:
        getattr(only_consistency, name).enabled = name == "label_consistency"
    items = real_rows(emo11["train"], 32000, 400)
    synthetic = as_synthetic(taxonomy, items)
    context = FilterContext(taxonomy=taxonomy, seed=seed)
    scores = score_rows(only_consistency, synthetic, context)

    kept_counts = []
    for threshold in (0.1, 0.3, 0.5, 0.7, 0.9):
        only_consistency.label_consistency.threshold = threshold
        assert scoring_key(only_consistency) == scores.key  # thresholds are not in the key
        kept_counts.append(len(decide(only_consistency, synthetic, scores).kept))
    assert kept_counts == sorted(kept_counts, reverse=True)
    assert kept_counts[0] > kept_counts[-1]
    # deciding from cached scores equals filtering from scratch
    direct = apply_filters(only_consistency, synthetic, context)
    assert len(direct.kept) == kept_counts[-1]

    # the surrogate tells real labels from swapped ones
    gratitude_rows = [(text, labels) for text, labels in items if labels == ["gratitude"]][:20]
    swapped = as_synthetic(taxonomy, [(text, ["anger"]) for text, _ in gratitude_rows])
    correct = as_synthetic(taxonomy, gratitude_rows)
    swapped_scores = score_rows(only_consistency, swapped, context).measurements[
        "label_consistency"
    ]
    correct_scores = score_rows(only_consistency, correct, context).measurements[
        "label_consistency"
    ]
    mean = lambda values: sum(m.score for m in values) / len(values)  # noqa: E731
    assert mean(correct_scores) > mean(swapped_scores) + 0.2


def test_scores_round_trip_and_guard_against_other_rows(
    emo11: datasets.DatasetDict, seed: datasets.Dataset, taxonomy: Taxonomy, tmp_path: Path
) -> None:
    cfg = fast_config()
    synthetic = as_synthetic(taxonomy, real_rows(emo11["train"], 34000, 60))
    test = emo11["test"].select(range(1000))
    context = FilterContext(taxonomy=taxonomy, seed=seed, reference={"test": test})
    scores = score_rows(cfg, synthetic, context)
    loaded = FilterScores.load(scores.save(tmp_path))
    assert loaded.to_dict() == json.loads(json.dumps(scores.to_dict()))
    first = decide(cfg, synthetic, scores)
    again = decide(cfg, synthetic, loaded)
    assert first.kept["id"] == again.kept["id"]
    assert first.kept["provenance"] == again.kept["provenance"]
    with pytest.raises(ValueError, match="ids differ"):
        decide(cfg, synthetic.select(range(10)), loaded)
    changed = fast_config()
    changed.dedup.num_perm = 64
    assert scoring_key(changed) != scores.key
    changed.judge.enabled = True
    with pytest.raises(ValueError, match="lack filters"):
        decide(changed, synthetic, scores)


def judge_reply(request: ChatRequest, seed: int) -> str:
    """A rating that depends on the text, with one unparsable reply and one failed request:
    the two cases a real judge produces."""
    text = request.messages[-1][1].split("Text: ", 1)[1]
    if text.startswith("gibberish"):
        return "Score: 1/5"
    if text.startswith("ramble"):
        return "I would rather not rate this."
    if text.startswith("timeout"):
        raise ValueError("HTTP 504")
    return "4"


def test_judge_scores_parses_and_records_unparsable_replies(
    seed: datasets.Dataset, taxonomy: Taxonomy
) -> None:
    cfg = fast_config()
    for name in FILTER_ORDER:
        getattr(cfg, name).enabled = name == "judge"
    items = [
        ("My sister finally called me back after two years and we both cried.", ["joy"]),
        ("gibberish words table chair lamp window", ["anger"]),
        ("ramble ramble about the weather all day long", ["neutral"]),
        ("timeout while waiting for the bus in the rain", ["sadness"], "de"),
    ]
    synthetic = as_synthetic(taxonomy, items)
    backend = FakeBackend(reply=judge_reply)
    output = apply_filters(
        cfg, synthetic, FilterContext(taxonomy=taxonomy, seed=seed, backend=backend)
    )

    assert backend.calls == 4
    assert backend.seen[0].template == "judge.v1"
    assert "Intended emotion(s): joy" in backend.seen[0].messages[-1][1]
    assert "Language: de" in backend.seen[3].messages[-1][1]
    verdicts = {
        row["id"]: provenance_of(row)["filters"]["judge"]
        for split in (output.kept, output.rejected)
        for row in split
    }
    assert verdicts["syn0"]["keep"] and verdicts["syn0"]["score"] == 4.0
    assert verdicts["syn1"]["reason"] == "judge_low_score" and verdicts["syn1"]["score"] == 1.0
    assert verdicts["syn2"]["reason"] == "judge_unparsed" and not verdicts["syn2"]["keep"]
    assert verdicts["syn3"]["reason"] == "judge_unparsed"
    assert "HTTP 504" in verdicts["syn3"]["detail"]["error"]
    assert output.report["per_filter"]["judge"]["unscored"] == 2

    cfg.judge.keep_unparsed = True
    cfg.judge.min_score = 1.0
    assert (
        len(apply_filters(cfg, synthetic, FilterContext(taxonomy, seed, backend=backend)).kept) == 4
    )
    with pytest.raises(ValueError, match="needs an LLM backend"):
        apply_filters(cfg, synthetic, FilterContext(taxonomy=taxonomy, seed=seed))


def test_disabled_filters_keep_everything_and_say_so(taxonomy: Taxonomy, tmp_path: Path) -> None:
    cfg = OmegaConf.merge(
        OmegaConf.structured(FilterConfig), OmegaConf.load(CONF_DIR / "filter" / "none.yaml")
    )
    synthetic = as_synthetic(taxonomy, [("ok", ["joy"]), (FRENCH, ["anger"])])
    output = apply_filters(cfg, synthetic, FilterContext(taxonomy=taxonomy))  # type: ignore[arg-type]
    assert len(output.kept) == 2 and len(output.rejected) == 0
    assert output.rejected.features == FEATURES
    assert output.report["enabled"] is False and output.report["order"] == []
    assert provenance_of(output.kept[0])["filter_decision"]["kept"] is True
    _, markdown = write_filter_report(output.report, tmp_path)
    assert "No filter was enabled" in markdown.read_text()


def test_label_consistency_needs_the_seed(taxonomy: Taxonomy) -> None:
    synthetic = as_synthetic(taxonomy, [("I am happy", ["joy"])])
    with pytest.raises(ValueError, match="needs the real seed set"):
        apply_filters(fast_config(), synthetic, FilterContext(taxonomy=taxonomy))


def test_an_empty_synthetic_set_gives_an_empty_consistent_report(
    seed: datasets.Dataset, taxonomy: Taxonomy
) -> None:
    output = apply_filters(fast_config(), rows_to_dataset([]), FilterContext(taxonomy, seed))
    assert len(output.kept) == len(output.rejected) == 0
    assert output.report["input_rows"] == 0
    assert all(entry["failed"] == 0 for entry in output.report["per_filter"].values())
