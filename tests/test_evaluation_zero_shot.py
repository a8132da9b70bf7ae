"""Zero-shot sets read from the real corpora, mapped into emo11 and scored on shared labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from emoexp.data.taxonomy import load_taxonomy
from emoexp.evaluation.config import EvalConfig
from emoexp.evaluation.scoring import EvalSet, SkippedSet
from emoexp.evaluation.zero_shot import (
    ZeroShotSetError,
    data_config,
    evaluate_zero_shot,
    load_zero_shot_sets,
)

EMO11 = load_taxonomy("emo11")


class OracleModel:
    """Predicts each row's gold labels (0.9) and nothing else (0.05): every score is perfect."""

    def predict_proba(self, ds) -> np.ndarray:
        return np.where(np.asarray(ds["multi_hot"]) > 0, 0.9, 0.05)


@pytest.fixture(scope="module")
def sets(data_dir: Path) -> dict:
    names = ["goemotions", "meld", "emorynlp", "semeval_ec_en", "dailydialog"]
    return load_zero_shot_sets(names, data_dir, EMO11, max_rows=400)


def test_sets_present_on_disk_are_loaded_in_the_target_taxonomy(sets: dict) -> None:
    for name in ("goemotions", "meld", "emorynlp"):
        eval_set = sets[name]
        assert isinstance(eval_set, EvalSet)
        assert len(eval_set.dataset) == 400
        assert set(eval_set.dataset.unique("taxonomy")) == {"emo11"}
        assert eval_set.info["source"] == name


def test_shared_and_ignored_labels(sets: dict) -> None:
    meld = sets["meld"].info
    assert meld["shared_labels"] == [
        "anger",
        "disgust",
        "fear",
        "joy",
        "neutral",
        "sadness",
        "surprise",
    ]
    assert meld["ignored_labels"] == ["contempt", "frustration", "gratitude", "love"]
    emorynlp = sets["emorynlp"].info
    assert emorynlp["shared_labels"] == ["anger", "fear", "joy", "neutral", "sadness"]
    # Peaceful and Powerful have no emo11 label: their test rows are dropped and counted
    assert sum(emorynlp["mapping"]["splits"]["test"]["dropped_by_rule"].values()) > 0
    assert emorynlp["rows"] == 400 and emorynlp["source_rows"] == 1328
    assert set(sets["goemotions"].info["shared_labels"]) == set(EMO11.labels)


def test_conversation_sets_are_single_label(sets: dict) -> None:
    assert sets["meld"].single_label and sets["emorynlp"].single_label
    assert not sets["goemotions"].single_label


def test_missing_sets_are_skipped_with_the_reason(sets: dict) -> None:
    for name in ("semeval_ec_en", "dailydialog"):
        skipped = sets[name]
        assert isinstance(skipped, SkippedSet)
        assert "no local copy" in skipped.reason


def test_require_all_turns_a_missing_set_into_an_error(data_dir: Path) -> None:
    with pytest.raises(ZeroShotSetError, match=r"semeval_ec_es.*require_all=false"):
        load_zero_shot_sets(["semeval_ec_es"], data_dir, EMO11, require_all=True)


def test_unknown_set_name_is_a_config_error(data_dir: Path) -> None:
    with pytest.raises(ValueError, match=r"'not_a_corpus'.*options"):
        load_zero_shot_sets(["not_a_corpus"], data_dir, EMO11)


def test_data_config_is_validated_against_the_schema() -> None:
    cfg = data_config("emorynlp")
    assert cfg.name == "emorynlp" and cfg.source_taxonomy == "emorynlp"


def test_evaluate_zero_shot_scores_only_shared_labels(data_dir: Path) -> None:
    cfg = EvalConfig(zero_shot=["meld", "emorynlp", "dailydialog"], zero_shot_max_rows=300)
    results = evaluate_zero_shot(OracleModel(), cfg, data_dir, EMO11, thresholds=np.full(11, 0.5))
    assert results["dailydialog"]["skipped"]
    for name in ("meld", "emorynlp"):
        result = results[name]
        assert set(result["per_class"]) == set(result["shared_labels"])
        assert result["ap_micro"] == pytest.approx(1.0)
        assert result["accuracy"] == pytest.approx(1.0)
        assert result["f1_weighted"] == pytest.approx(1.0)
        assert result["rows_without_scored_label"] == 0


def test_a_real_classifier_scores_a_zero_shot_set(data_dir: Path, tmp_path: Path) -> None:
    """The Classifier.predict_proba path end to end, with a tiny untrained encoder."""
    from emoexp.models.config import ModelConfig
    from emoexp.models.encoder import load_encoder
    from emoexp.training.classifier import Classifier

    sets = load_zero_shot_sets(["meld"], data_dir, EMO11, max_rows=120)
    texts = sets["meld"].dataset["text"]
    model_cfg = ModelConfig(name="tiny", pretrained="tiny", max_length=32)
    tokenizer, model = load_encoder(model_cfg, len(EMO11.labels), texts=texts, cache_dir=tmp_path)
    classifier = Classifier(
        tokenizer=tokenizer, model=model.eval(), label_names=list(EMO11.labels),
        taxonomy=EMO11.name, max_length=32, cache_dir=tmp_path,
    )  # fmt: skip
    from emoexp.evaluation.scoring import evaluate

    result = evaluate(classifier, sets, EMO11)["meld"]
    assert result["n_samples"] == 120
    assert 0.0 <= result["accuracy"] <= 1.0 and 0.0 < result["ap_micro"] < 1.0
    assert result["predict_seconds"] >= 0
