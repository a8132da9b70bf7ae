"""Same seed, same figures: the tiny model's vocabulary is built deterministically across
processes, and a training resumed from last.ckpt at an epoch boundary ends where the
uninterrupted one did."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import datasets
import numpy as np
import pytest
from pytorch_lightning.callbacks import Callback

from emoexp.data.schema import Row, rows_to_dataset
from emoexp.data.taxonomy import Taxonomy
from emoexp.models.config import ModelConfig
from emoexp.paths import PROJECT_DIR
from emoexp.training import fit as train_module
from emoexp.training.config import TrainerConfig
from emoexp.training.fit import LAST_CHECKPOINT, train_classifier

TAXONOMY = Taxonomy(name="toy", labels=("joy", "anger", "fear"))
CUES = {"joy": ["happy", "glad"], "anger": ["furious", "mad"], "fear": ["scared", "afraid"]}
MODEL = ModelConfig(name="tiny", pretrained="tiny", learning_rate=3e-3, batch_size=8)

VOCAB_SCRIPT = """
import json, sys
from emoexp.models.tiny import tiny_tokenizer
texts = [line.split("\\t")[0] for line in open(sys.argv[1], encoding="utf-8")][:400]
print(json.dumps(tiny_tokenizer(texts, 1500, None).get_vocab(), sort_keys=True))
"""


def rows(n: int, seed: int) -> datasets.Dataset:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        label = rng.choice(TAXONOMY.labels)
        text = f"i am so {rng.choice(CUES[label])} about it" + " really" * rng.randint(0, 4)
        out.append(Row(id=f"r{i}", text=text, labels=[label],
                       multi_hot=TAXONOMY.multi_hot([label]), taxonomy="toy"))  # fmt: skip
    return rows_to_dataset(out)


@pytest.mark.slow
def test_tiny_vocabulary_is_identical_in_separate_processes(data_dir: Path) -> None:
    texts = str(data_dir / "goemotions" / "train.tsv")
    vocabularies = [
        subprocess.run(
            [sys.executable, "-c", VOCAB_SCRIPT, texts],
            cwd=PROJECT_DIR, capture_output=True, text=True, check=True,
        ).stdout
        for _ in range(2)
    ]  # fmt: skip
    assert len(json.loads(vocabularies[0])) > 1000
    assert vocabularies[0] == vocabularies[1]


class CrashAtEpoch(Callback):
    """Stands in for `kill -9` after an epoch's checkpoint was written."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_train_epoch_start(self, trainer, pl_module) -> None:  # type: ignore[no-untyped-def]
        if trainer.current_epoch == self.epoch:
            raise RuntimeError("simulated kill")


@pytest.mark.slow
def test_training_resumed_at_an_epoch_boundary_matches_an_uninterrupted_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    train, validation = rows(96, 1), rows(32, 2)
    trainer_cfg = TrainerConfig(max_epochs=3, enable_progress_bar=False, resume=True)

    def train_in(job: Path):  # type: ignore[no-untyped-def]
        return train_classifier(
            train, validation, TAXONOMY, MODEL, trainer_cfg, loggers=[], job_dir=job,
            cache_dir=tmp_path / "cache", seed=7,
        )  # fmt: skip

    uninterrupted = train_in(tmp_path / "whole")

    build = train_module.build_trainer
    monkeypatch.setattr(
        train_module,
        "build_trainer",
        lambda cfg, *, loggers, job_dir, callbacks: build(
            cfg, loggers=loggers, job_dir=job_dir, callbacks=[*callbacks, CrashAtEpoch(2)]
        ),
    )
    with pytest.raises(RuntimeError, match="simulated kill"):
        train_in(tmp_path / "killed")
    assert (tmp_path / "killed" / "checkpoints" / LAST_CHECKPOINT).exists()
    monkeypatch.setattr(train_module, "build_trainer", build)
    resumed = train_in(tmp_path / "killed")

    assert resumed.training["resumed_from"] and resumed.training["start_epoch"] == 2
    np.testing.assert_array_equal(
        resumed.predict_proba(validation), uninterrupted.predict_proba(validation)
    )
