"""Training and validation batches for the Lightning trainer."""

from __future__ import annotations

from pathlib import Path

import datasets
import pytorch_lightning as pl
from torch.utils.data import DataLoader
from transformers import PreTrainedTokenizerBase

from emoexp.training.batching import (
    LengthGroupedBatchSampler,
    PadCollator,
    TokenizedRows,
    sorted_batches,
)
from emoexp.training.tokenization import tokenize_rows


def tokenized_rows(
    ds: datasets.Dataset,
    tokenizer: PreTrainedTokenizerBase,
    max_length: int,
    *,
    cache_dir: Path | None,
    context_window: int = 0,
) -> TokenizedRows:
    tokenized = tokenize_rows(
        ds, tokenizer, max_length, cache_dir=cache_dir, context_window=context_window
    )
    return TokenizedRows(tokenized.to_dict())


def pad_collator(tokenizer: PreTrainedTokenizerBase) -> PadCollator:
    if tokenizer.pad_token_id is None:
        raise ValueError("the tokenizer has no padding token; dynamic padding needs one")
    return PadCollator(tokenizer.pad_token_id, "token_type_ids" in tokenizer.model_input_names)


class EmotionDataModule(pl.LightningDataModule):
    """Length-grouped shuffled batches for training, length-sorted ones for validation."""

    def __init__(
        self,
        train: datasets.Dataset,
        validation: datasets.Dataset | None,
        tokenizer: PreTrainedTokenizerBase,
        *,
        max_length: int,
        batch_size: int,
        eval_batch_size: int,
        seed: int,
        cache_dir: Path | None,
        context_window: int = 0,
        num_workers: int = 0,
    ) -> None:
        super().__init__()
        if len(train) == 0:
            raise ValueError("no training rows")
        self.train_rows = tokenized_rows(
            train, tokenizer, max_length, cache_dir=cache_dir, context_window=context_window
        )
        self.validation_rows = (
            tokenized_rows(
                validation,
                tokenizer,
                max_length,
                cache_dir=cache_dir,
                context_window=context_window,
            )
            if validation is not None and len(validation) > 0
            else None
        )
        self.collate = pad_collator(tokenizer)
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size
        self.seed = seed
        self.num_workers = num_workers

    def train_batch_sampler(self) -> LengthGroupedBatchSampler:
        trainer = self.trainer
        return LengthGroupedBatchSampler(
            self.train_rows.lengths,
            self.batch_size,
            seed=self.seed,
            num_replicas=trainer.world_size if trainer is not None else 1,
            rank=trainer.global_rank if trainer is not None else 0,
        )

    def train_dataloader(self) -> DataLoader:
        return DataLoader(
            self.train_rows,
            batch_sampler=self.train_batch_sampler(),
            collate_fn=self.collate,
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
        )

    def val_dataloader(self) -> DataLoader | list:
        if self.validation_rows is None:
            return []
        trainer = self.trainer
        batches = sorted_batches(self.validation_rows.lengths, self.eval_batch_size)
        if trainer is not None and trainer.world_size > 1:
            batches = batches[trainer.global_rank :: trainer.world_size]
        return DataLoader(
            self.validation_rows,
            batch_sampler=batches,
            collate_fn=self.collate,
            num_workers=self.num_workers,
        )
