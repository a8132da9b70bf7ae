"""`train_classifier`: fitting an encoder classifier with Lightning; `stages/train.py` decides
when (its artifact key) and this module how."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import datasets
import numpy as np
import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import Callback, ModelCheckpoint

from emoexp.models.config import ModelConfig
from emoexp.models.encoder import load_encoder
from emoexp.training.classifier import Classifier
from emoexp.training.config import TrainerConfig
from emoexp.training.datamodule import EmotionDataModule
from emoexp.training.module import EmotionClassifierModule, positive_weights
from emoexp.training.precision import prediction_device, resolve_precision

CHECKPOINT_DIR = "checkpoints"
LAST_CHECKPOINT = "last.ckpt"


class _StartRecorder(Callback):
    """Remembers where `fit` started, which tells a resumed run from a fresh one (None:
    the checkpoint had already reached the end, nothing was trained)."""

    def __init__(self) -> None:
        self.start_epoch: int | None = None
        self.start_step: int | None = None

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.start_epoch = trainer.current_epoch
        self.start_step = trainer.global_step


class _BatchSeed(Callback):
    """Reseeds every RNG before each training batch from (seed, epoch, batch index).

    A batch's dropout masks then depend on nothing that ran before it (how many data loader
    iterators were created, whether validation ran in this process), so a run resumed from
    `last.ckpt` at an epoch boundary trains exactly as the uninterrupted run did: weights,
    optimizer and scheduler come from the checkpoint, and the length-grouped batch order is
    a function of seed and epoch."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def on_train_batch_start(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: Any, batch_idx: int
    ) -> None:
        entropy = [self.seed, trainer.current_epoch, batch_idx]
        state = np.random.SeedSequence(entropy).generate_state(1)
        pl.seed_everything(int(state[0]), workers=True, verbose=False)


def _check_inputs(train: datasets.Dataset, taxonomy: Any) -> list[str]:
    labels = list(taxonomy.labels)
    widths = {len(row) for row in train["multi_hot"]}
    if widths != {len(labels)}:
        raise ValueError(
            f"training rows carry multi-hot vectors of widths {sorted(widths)}, "
            f"taxonomy {taxonomy.name!r} has {len(labels)} labels"
        )
    return labels


def build_trainer(
    trainer_cfg: TrainerConfig, *, loggers: list, job_dir: Path, callbacks: list[Callback]
) -> pl.Trainer:
    return pl.Trainer(
        accelerator=trainer_cfg.accelerator,
        devices=trainer_cfg.devices,
        num_nodes=trainer_cfg.num_nodes,
        strategy=trainer_cfg.strategy,
        precision=cast(Any, resolve_precision(trainer_cfg)),
        max_epochs=trainer_cfg.max_epochs,
        max_steps=trainer_cfg.max_steps,
        gradient_clip_val=trainer_cfg.gradient_clip_val,
        accumulate_grad_batches=trainer_cfg.accumulate_grad_batches,
        log_every_n_steps=trainer_cfg.log_every_n_steps,
        deterministic=trainer_cfg.deterministic,
        enable_progress_bar=trainer_cfg.enable_progress_bar,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        # the length-grouped sampler shards batches across devices itself
        use_distributed_sampler=False,
        logger=list(loggers) if loggers else False,
        callbacks=callbacks,
        default_root_dir=str(job_dir),
    )


def train_classifier(
    train: datasets.Dataset,
    validation: datasets.Dataset | None,
    taxonomy: Any,
    model_cfg: ModelConfig,
    trainer_cfg: TrainerConfig,
    *,
    loggers: list,
    job_dir: Path,
    cache_dir: Path,
    seed: int,
    context_window: int = 0,
) -> Classifier:
    """Fine-tune the configured encoder on `train`, validating on `validation` each epoch.

    Resumes from `job_dir/checkpoints/last.ckpt` when `trainer_cfg.resume` is set and the
    file exists, so a killed job continues where its last epoch ended.
    """
    labels = _check_inputs(train, taxonomy)
    job_dir = Path(job_dir)
    cache_dir = Path(cache_dir)
    pl.seed_everything(seed, workers=True)
    tokenizer, model = load_encoder(
        model_cfg, len(labels), texts=train["text"], cache_dir=cache_dir
    )
    datamodule = EmotionDataModule(
        train,
        validation,
        tokenizer,
        max_length=model_cfg.max_length,
        batch_size=model_cfg.batch_size,
        eval_batch_size=model_cfg.eval_batch_size,
        seed=seed,
        cache_dir=cache_dir,
        context_window=context_window,
        num_workers=trainer_cfg.num_workers,
    )
    pos_weight = (
        positive_weights(np.asarray(train["multi_hot"]), model_cfg.pos_weight_cap)
        if model_cfg.pos_weight
        else None
    )
    # from_pretrained returns the encoder in eval mode and Lightning keeps each submodule's
    # mode: without this the encoder's dropout would stay off during fine-tuning
    model.train()
    module = EmotionClassifierModule(model, model_cfg, pos_weight)

    checkpoint_dir = job_dir / CHECKPOINT_DIR
    checkpoint = ModelCheckpoint(
        dirpath=str(checkpoint_dir),
        save_last="link",
        save_top_k=1,
        every_n_epochs=1,
        save_on_train_epoch_end=True,
    )
    start = _StartRecorder()
    trainer = build_trainer(
        trainer_cfg,
        loggers=loggers,
        job_dir=job_dir,
        callbacks=[checkpoint, start, _BatchSeed(seed)],
    )
    last = checkpoint_dir / LAST_CHECKPOINT
    resume_from = str(last) if trainer_cfg.resume and last.exists() else None
    trainer.fit(module, datamodule=datamodule, ckpt_path=resume_from)

    metrics = {
        name: float(value)
        for name, value in trainer.callback_metrics.items()
        if torch.is_tensor(value) and value.numel() == 1
    }
    return Classifier(
        tokenizer=tokenizer,
        model=model.eval(),
        label_names=labels,
        taxonomy=taxonomy.name,
        max_length=model_cfg.max_length,
        context_window=context_window,
        eval_batch_size=model_cfg.eval_batch_size,
        device=prediction_device(trainer_cfg),
        precision=resolve_precision(trainer_cfg),
        cache_dir=cache_dir,
        training={
            "precision": resolve_precision(trainer_cfg),
            "resumed_from": resume_from,
            "start_epoch": start.start_epoch,
            "start_step": start.start_step,
            "epochs": trainer.current_epoch,
            "global_step": trainer.global_step,
            "metrics": metrics,
        },
    )
