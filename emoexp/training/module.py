"""The LightningModule: multi-label loss, optimiser groups, warmup schedule, epoch metrics."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch
from torch import nn
from torch.optim.lr_scheduler import LambdaLR
from torchmetrics.functional.classification import multilabel_average_precision

from emoexp.models.config import ModelConfig
from emoexp.models.network import MultiLabelClassifier
from emoexp.training.gather import gather_shards

NO_DECAY_MARKERS = ("bias", "LayerNorm.weight", "layer_norm.weight", "norm.weight")


def positive_weights(multi_hot: np.ndarray, cap: float) -> torch.Tensor:
    """negatives / positives per class, capped: rare emotions weigh more in the loss.

    A class without positives gets the cap (it has nothing to weigh, and the cap is the
    neutral bound of the range rather than an infinite weight).
    """
    targets = np.asarray(multi_hot, dtype=np.float64)
    positives = targets.sum(axis=0)
    negatives = len(targets) - positives
    ratio = np.where(positives > 0, negatives / np.maximum(positives, 1), cap)
    return torch.tensor(np.clip(ratio, 1.0, cap), dtype=torch.float32)


def linear_warmup_decay(warmup_steps: int, total_steps: int) -> Any:
    """Learning-rate factor: 0 -> 1 over the warmup, then linearly down to 0 at the end."""

    def factor(step: int) -> float:
        if warmup_steps > 0 and step < warmup_steps:
            return (step + 1) / warmup_steps
        remaining = total_steps - step
        return max(0.0, remaining / max(1, total_steps - warmup_steps))

    return factor


class EmotionClassifierModule(pl.LightningModule):
    """Trains a `MultiLabelClassifier` with BCE-with-logits over the taxonomy's labels."""

    def __init__(
        self,
        model: MultiLabelClassifier,
        model_cfg: ModelConfig,
        pos_weight: torch.Tensor | None = None,
    ) -> None:
        super().__init__()
        self.model = model
        self.model_cfg = model_cfg
        self.loss_fn = nn.BCEWithLogitsLoss(pos_weight=pos_weight)
        self._val_logits: list[torch.Tensor] = []
        self._val_targets: list[torch.Tensor] = []

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.model(batch["input_ids"], batch["attention_mask"], batch.get("token_type_ids"))

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        loss = self.loss_fn(self(batch), batch["labels"])
        size = len(batch["labels"])
        self.log("train/loss", loss, on_step=True, on_epoch=True, batch_size=size, prog_bar=True)
        return loss

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        logits = self(batch)
        loss = self.loss_fn(logits, batch["labels"])
        self.log("val/loss", loss, on_epoch=True, batch_size=len(logits), sync_dist=True)
        self._val_logits.append(logits.detach().float().cpu())
        self._val_targets.append(batch["labels"].detach().cpu())

    def on_validation_epoch_end(self) -> None:
        gathered = gather_shards(self._val_logits, self._val_targets)
        self._val_logits.clear()
        self._val_targets.clear()
        if gathered is None:
            return
        logits, targets = gathered[0], gathered[1].long()
        if targets.sum() == 0:
            return
        ap_micro = multilabel_average_precision(
            logits.sigmoid(), targets, num_labels=targets.shape[1], average="micro"
        )
        # every rank scored the same gathered rows, so the value needs no averaging
        self.log("val/ap_micro", ap_micro, prog_bar=True)

    def configure_optimizers(self) -> Any:
        optimizer = torch.optim.AdamW(parameter_groups(self.model, self.model_cfg))
        total_steps = max(1, int(self.trainer.estimated_stepping_batches))
        warmup_steps = round(self.model_cfg.warmup_ratio * total_steps)
        scheduler = LambdaLR(optimizer, linear_warmup_decay(warmup_steps, total_steps))
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": "step"},
        }


def parameter_groups(model: MultiLabelClassifier, cfg: ModelConfig) -> list[dict[str, Any]]:
    """AdamW groups: the fresh head may learn faster than the pretrained encoder, and
    biases and normalisation weights are not decayed."""
    head_lr = cfg.head_learning_rate or cfg.learning_rate
    head_names = model.head_parameter_names()
    groups: dict[tuple[bool, bool], list[nn.Parameter]] = {}
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad:
            continue
        is_head = name in head_names
        decays = not any(marker in name for marker in NO_DECAY_MARKERS)
        groups.setdefault((is_head, decays), []).append(parameter)
    return [
        {
            "params": params,
            "lr": head_lr if is_head else cfg.learning_rate,
            "weight_decay": cfg.weight_decay if decays else 0.0,
        }
        for (is_head, decays), params in sorted(groups.items())
    ]
