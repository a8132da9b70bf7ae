"""MiniLM fine-tuned briefly on real GoEmotions rows mapped to emo11 learns real signal."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from omegaconf import OmegaConf

from emoexp.data.config import DataConfig
from emoexp.data.loading import load_corpus, map_corpus
from emoexp.data.sampling import sample_rows
from emoexp.data.taxonomy import load_mapping, load_taxonomy
from emoexp.metrics.multilabel import multilabel_metrics
from emoexp.models.config import ModelConfig
from emoexp.paths import CONF_DIR
from emoexp.training.config import TrainerConfig
from emoexp.training.fit import train_classifier


@pytest.mark.slow
def test_minilm_beats_label_frequencies_after_two_short_epochs(
    data_dir: Path, tmp_path: Path
) -> None:
    corpus = load_corpus(DataConfig(), str(data_dir))
    taxonomy = load_taxonomy("emo11")
    mapped, _ = map_corpus(corpus.splits, load_mapping("goemotions", "emo11"), taxonomy)
    train = sample_rows(mapped["train"], 1600, seed=0)
    test = sample_rows(mapped["test"], 400, seed=0)
    model_cfg = OmegaConf.to_object(
        OmegaConf.merge(
            OmegaConf.structured(ModelConfig), OmegaConf.load(CONF_DIR / "model" / "minilm.yaml")
        )
    )
    assert isinstance(model_cfg, ModelConfig)
    trainer_cfg = TrainerConfig(max_epochs=2, enable_progress_bar=False, precision="auto")
    classifier = train_classifier(
        train,
        sample_rows(mapped["validation"], 200, seed=0),
        taxonomy,
        replace(model_cfg, max_length=64),
        trainer_cfg,
        loggers=[],
        job_dir=tmp_path / "job",
        cache_dir=tmp_path / "cache",
        seed=0,
    )
    targets = np.asarray(test["multi_hot"])
    report = multilabel_metrics(classifier.predict_proba(test), targets, taxonomy.labels)
    # predicting training label frequencies for every row scores the positive rate (~0.1)
    frequencies = np.tile(np.asarray(train["multi_hot"]).mean(axis=0), (len(test), 1))
    prior = multilabel_metrics(frequencies, targets, taxonomy.labels)["ap_micro"]
    assert prior < 0.3
    assert report["ap_micro"] > prior + 0.12
    assert report["absent_classes"] == []
