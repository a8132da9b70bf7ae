"""train_classifier end to end with real Lightning on the tiny model."""

from __future__ import annotations

import random
from pathlib import Path

import datasets
import numpy as np
import pytest
import torch

from emoexp.data.schema import Row, rows_to_dataset
from emoexp.data.taxonomy import Taxonomy
from emoexp.metrics.multilabel import multilabel_metrics
from emoexp.models.config import ModelConfig
from emoexp.models.encoder import load_encoder
from emoexp.training.classifier import Classifier
from emoexp.training.config import TrainerConfig
from emoexp.training.fit import train_classifier
from emoexp.training.module import (
    EmotionClassifierModule,
    linear_warmup_decay,
    parameter_groups,
    positive_weights,
)

TAXONOMY = Taxonomy(name="toy", labels=("joy", "anger", "fear"))
CUES = {
    "joy": ["happy", "glad", "delighted"],
    "anger": ["furious", "mad", "angry"],
    "fear": ["scared", "afraid", "terrified"],
}
TOPICS = ["the dog", "the game", "the news", "the rain", "my exam", "this city"]


def _rows(n: int, split: str, seed: int) -> datasets.Dataset:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        labels = sorted(rng.sample(TAXONOMY.labels, rng.choice([1, 1, 2])))
        cues = " and ".join(rng.choice(CUES[label]) for label in labels)
        text = f"honestly i am so {cues} about {rng.choice(TOPICS)}" + " really" * rng.randint(0, 6)
        rows.append(
            Row(
                id=f"{split}-{i}",
                text=text,
                labels=labels,
                multi_hot=TAXONOMY.multi_hot(labels),
                taxonomy="toy",
                split=split,
            )
        )
    return rows_to_dataset(rows)


MODEL = ModelConfig(
    name="tiny", pretrained="tiny", learning_rate=3e-3, batch_size=8, warmup_ratio=0.1
)
TRAINER = TrainerConfig(max_epochs=1, enable_progress_bar=False, log_every_n_steps=1)


def _train(tmp_path: Path, job: str, trainer: TrainerConfig = TRAINER, **kw) -> Classifier:
    return train_classifier(
        _rows(48, "train", 0),
        _rows(24, "validation", 1),
        TAXONOMY,
        kw.pop("model_cfg", MODEL),
        trainer,
        loggers=[],
        job_dir=tmp_path / job,
        cache_dir=tmp_path / "cache",
        seed=kw.pop("seed", 0),
        **kw,
    )


def test_same_seed_twice_gives_identical_predictions(tmp_path: Path) -> None:
    test = _rows(20, "test", 2)
    first = _train(tmp_path, "a")
    second = _train(tmp_path, "b")
    assert first.training["metrics"] == second.training["metrics"]
    np.testing.assert_array_equal(first.predict_proba(test), second.predict_proba(test))
    other_seed = _train(tmp_path, "c", seed=1)
    assert not np.array_equal(first.predict_proba(test), other_seed.predict_proba(test))


def test_training_learns_the_cue_words(tmp_path: Path) -> None:
    trainer = TrainerConfig(max_epochs=6, enable_progress_bar=False, resume=False)
    classifier = _train(tmp_path, "learn", trainer)
    test = _rows(60, "test", 3)
    report = multilabel_metrics(
        classifier.predict_proba(test), np.array(test["multi_hot"]), TAXONOMY.labels
    )
    assert report["ap_macro"] > 0.8
    assert "val/ap_micro" in classifier.training["metrics"]


def test_resumes_from_the_last_checkpoint(tmp_path: Path) -> None:
    first = _train(tmp_path, "job")
    assert first.training["resumed_from"] is None
    assert first.training["start_epoch"] == 0
    steps_per_epoch = first.training["global_step"]
    assert (tmp_path / "job" / "checkpoints" / "last.ckpt").exists()

    two_epochs = TrainerConfig(max_epochs=2, enable_progress_bar=False, log_every_n_steps=1)
    resumed = _train(tmp_path, "job", two_epochs)
    assert resumed.training["resumed_from"].endswith("last.ckpt")
    assert resumed.training["start_epoch"] == 1
    assert resumed.training["start_step"] == steps_per_epoch
    assert resumed.training["global_step"] == 2 * steps_per_epoch

    fresh = _train(tmp_path, "job", TrainerConfig(**{**vars(two_epochs), "resume": False}))
    assert fresh.training["start_epoch"] == 0


def test_predictions_keep_row_order_and_survive_save_and_load(tmp_path: Path) -> None:
    classifier = _train(tmp_path, "save")
    test = _rows(30, "test", 4)
    probs = classifier.predict_proba(test)
    assert probs.shape == (30, 3)
    assert ((probs > 0) & (probs < 1)).all()
    # row by row equals batched and length-sorted
    one_by_one = np.vstack([classifier.predict_proba(test.select([i])) for i in range(5)])
    np.testing.assert_allclose(one_by_one, probs[:5], atol=1e-5)

    saved = classifier.save(tmp_path / "model")
    assert (saved / "model.safetensors").is_file()
    loaded = Classifier.load(saved)
    assert loaded.label_names == ["joy", "anger", "fear"]
    np.testing.assert_allclose(loaded.predict_proba(test), probs, atol=1e-6)


def test_mismatched_label_width_is_refused(tmp_path: Path) -> None:
    other = Taxonomy(name="pair", labels=("joy", "anger"))
    with pytest.raises(ValueError, match="widths"):
        train_classifier(
            _rows(8, "train", 0),
            None,
            other,
            MODEL,
            TRAINER,
            loggers=[],
            job_dir=tmp_path,
            cache_dir=tmp_path,
            seed=0,
        )


def test_pos_weight_and_head_learning_rate_reach_loss_and_optimiser(tmp_path: Path) -> None:
    cfg = ModelConfig(
        **{
            **vars(MODEL),
            "pos_weight": True,
            "pos_weight_cap": 2.5,
            "head_learning_rate": 1e-2,
            "weight_decay": 0.05,
        }
    )
    weights = positive_weights(np.array([[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 0]]), 2.5)
    assert torch.allclose(weights, torch.tensor([1.0, 2.5, 2.5]))

    _, model = load_encoder(cfg, 3, texts=["so happy", "so mad"], cache_dir=tmp_path)
    module = EmotionClassifierModule(model, cfg, weights)
    assert torch.equal(module.loss_fn.pos_weight, weights)
    by_id = {id(p): name for name, p in model.named_parameters()}
    settings = {
        by_id[id(p)]: (group["lr"], group["weight_decay"])
        for group in parameter_groups(model, cfg)
        for p in group["params"]
    }
    assert settings["head.weight"] == (1e-2, 0.05)
    assert settings["head.bias"] == (1e-2, 0.0)
    assert settings["encoder.encoder.layer.0.attention.self.query.weight"] == (3e-3, 0.05)
    assert settings["encoder.embeddings.LayerNorm.weight"] == (3e-3, 0.0)
    assert len(settings) == sum(1 for _ in model.parameters())

    trained = _train(tmp_path, "weighted", model_cfg=cfg)
    assert trained.training["global_step"] > 0


def test_schedule_warms_up_then_decays_to_zero() -> None:
    factor = linear_warmup_decay(warmup_steps=4, total_steps=12)
    values = [factor(step) for step in range(13)]
    assert values[:4] == [0.25, 0.5, 0.75, 1.0]
    assert values[4] == 1.0
    assert values[8] == pytest.approx(0.5)
    assert values[12] == 0.0


def test_auto_precision_uses_bf16_only_where_it_is_native(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from emoexp.training import precision

    assert precision.resolve_precision(TrainerConfig(precision="32-true")) == "32-true"
    monkeypatch.setattr(precision, "native_cpu_bf16", lambda: True)
    assert precision.resolve_precision(TrainerConfig(precision="auto")) == "bf16-mixed"
    assert precision.usable_precision("bf16-mixed", "cpu") == "bf16-mixed"
    monkeypatch.setattr(precision, "native_cpu_bf16", lambda: False)
    assert precision.resolve_precision(TrainerConfig(precision="auto")) == "32-true"
    assert precision.usable_precision("bf16-mixed", "cpu") == "32-true"


def test_bf16_training_predicts_close_to_its_float32_self(tmp_path: Path) -> None:
    trainer = TrainerConfig(max_epochs=1, enable_progress_bar=False, precision="bf16-mixed")
    classifier = _train(tmp_path, "bf16", trainer)
    assert classifier.training["precision"] == "bf16-mixed"
    test = _rows(16, "test", 5)
    in_bf16 = classifier.predict_proba(test)
    classifier.precision = "32-true"
    np.testing.assert_allclose(in_bf16, classifier.predict_proba(test), atol=0.02)
