"""Train stage: fine-tune the encoder on the chosen regime's rows.

The trained classifier is an artifact like any other: an identical rerun loads it instead of
training again, while Lightning's own checkpoints in the job folder let an interrupted job
resume mid-training.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import datasets
from pytorch_lightning.loggers import Logger

from emoexp.cache.artifacts import ArtifactStore
from emoexp.cache.fingerprint import fingerprint, without
from emoexp.data.taxonomy import Taxonomy
from emoexp.models.config import ModelConfig
from emoexp.training.config import TrainerConfig
from emoexp.training.fit import Classifier, train_classifier
from emoexp.training.precision import prediction_device, resolve_precision

TRAIN_STAGE_VERSION = 1
# trainer settings that change how a run goes, not what it learns
RUNTIME_ONLY = ("resume", "enable_progress_bar", "num_workers", "log_every_n_steps")


@dataclass
class Trained:
    key: str
    classifier: Classifier
    reused: bool


def train_stage(
    train: datasets.Dataset,
    validation: datasets.Dataset,
    input_keys: list[str],
    taxonomy: Taxonomy,
    model_cfg: ModelConfig,
    trainer_cfg: TrainerConfig,
    *,
    context_window: int,
    seed: int,
    loggers: list[Logger],
    job_dir: Path,
    store: ArtifactStore,
) -> Trained:
    trainer_slice = without(trainer_cfg, RUNTIME_ONLY)
    key = fingerprint(
        "train", TRAIN_STAGE_VERSION, input_keys, taxonomy.name, model_cfg, trainer_slice,
        context_window, seed,
    )  # fmt: skip

    def build(out: Path) -> dict[str, object]:
        classifier = train_classifier(
            train,
            validation,
            taxonomy,
            model_cfg,
            trainer_cfg,
            loggers=loggers,
            job_dir=job_dir,
            cache_dir=store.root,
            seed=seed,
            context_window=context_window,
        )
        classifier.save(out / "classifier")
        return {"train_rows": len(train), "validation_rows": len(validation)}

    path, reused = store.get_or_build("train", key, build, describe={"inputs": input_keys})
    # validation, test and zero-shot prediction run where and how the model was trained:
    # on the training device, in the trainer's precision, through the tokenization cache
    classifier = Classifier.load(
        path / "classifier",
        device=prediction_device(trainer_cfg),
        precision=resolve_precision(trainer_cfg),
        cache_dir=store.root,
    )
    return Trained(key=key, classifier=classifier, reused=reused)
