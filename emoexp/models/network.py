"""Encoder + pooling + dropout + linear head: one module for every checkpoint."""

from __future__ import annotations

import torch
from torch import nn
from transformers import PreTrainedModel

POOLINGS = ("mean", "cls")


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average of the token states the attention mask keeps (padding excluded)."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)


class MultiLabelClassifier(nn.Module):
    """Pools the encoder's last hidden states and maps them to one logit per label.

    The pooling must match how the checkpoint was trained: sentence-embedding models such
    as all-MiniLM-L6-v2 were trained on mean-pooled states, masked-LM encoders read [CLS].
    """

    def __init__(
        self, encoder: PreTrainedModel, num_labels: int, pooling: str, dropout: float
    ) -> None:
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"unknown pooling {pooling!r}; expected one of {POOLINGS}")
        if num_labels < 1:
            raise ValueError("a classifier needs at least one label")
        # BERT-style encoders carry a [CLS] pooler we never read; dropping it keeps every
        # remaining parameter trainable (DDP rejects parameters without gradients)
        if getattr(encoder, "pooler", None) is not None:
            encoder.pooler = None  # type: ignore[assignment]
        self.encoder = encoder
        self.pooling = pooling
        self.num_labels = num_labels
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(encoder.config.hidden_size, num_labels)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
    ) -> torch.Tensor:
        inputs = {"input_ids": input_ids, "attention_mask": attention_mask}
        if token_type_ids is not None:
            inputs["token_type_ids"] = token_type_ids
        hidden = self.encoder(**inputs).last_hidden_state
        pooled = mean_pool(hidden, attention_mask) if self.pooling == "mean" else hidden[:, 0]
        return self.head(self.dropout(pooled))

    def head_parameter_names(self) -> set[str]:
        return {f"head.{name}" for name, _ in self.head.named_parameters()}
