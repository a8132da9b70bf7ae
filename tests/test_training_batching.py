"""Length-grouped batches: random, reproducible, complete, and nearly free of padding."""

from __future__ import annotations

import numpy as np
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader

from emoexp.training.batching import (
    LengthGroupedBatchSampler,
    PadCollator,
    padding_fraction,
    sorted_batches,
)


def _lengths(n: int = 2000, seed: int = 0) -> list[int]:
    # skewed like short social-media texts: most short, a long tail
    rng = np.random.default_rng(seed)
    return (rng.lognormal(mean=2.8, sigma=0.6, size=n).astype(int) + 3).clip(3, 128).tolist()


def test_every_row_once_per_epoch_in_full_batches() -> None:
    lengths = _lengths()
    sampler = LengthGroupedBatchSampler(lengths, 32, seed=0)
    batches = list(sampler)
    flat = [i for batch in batches for i in batch]
    assert sorted(flat) == list(range(len(lengths)))
    assert len(batches) == len(sampler)
    assert sum(len(b) < 32 for b in batches) <= -(-len(lengths) // (32 * 50))


def test_same_seed_and_epoch_give_the_same_batches_new_epoch_a_new_order() -> None:
    lengths = _lengths()
    first = list(LengthGroupedBatchSampler(lengths, 32, seed=5))
    assert list(LengthGroupedBatchSampler(lengths, 32, seed=5)) == first
    sampler = LengthGroupedBatchSampler(lengths, 32, seed=5)
    sampler.set_epoch(1)
    assert list(sampler) != first
    assert list(LengthGroupedBatchSampler(lengths, 32, seed=6)) != first


def test_grouping_cuts_padding_against_random_batches() -> None:
    lengths = _lengths()
    grouped = padding_fraction(list(LengthGroupedBatchSampler(lengths, 32, seed=0)), lengths)
    order = np.random.default_rng(0).permutation(len(lengths)).tolist()
    random_batches = [order[i : i + 32] for i in range(0, len(order), 32)]
    assert grouped < 0.1
    assert padding_fraction(random_batches, lengths) > 4 * grouped


def test_replicas_get_disjoint_equal_shards() -> None:
    lengths = _lengths(1000)
    shards = [
        list(LengthGroupedBatchSampler(lengths, 32, seed=0, num_replicas=2, rank=r))
        for r in range(2)
    ]
    assert len(shards[0]) == len(shards[1])
    seen = {i for shard in shards for batch in shard for i in batch}
    assert seen == set(range(1000))


def test_sorted_batches_run_longest_first_and_cover_all_rows() -> None:
    lengths = [5, 9, 2, 9, 7]
    batches = sorted_batches(lengths, 2)
    assert batches == [[1, 3], [4, 0], [2]]


def test_collator_pads_to_the_batch_longest_row() -> None:
    collate = PadCollator(pad_token_id=0, use_token_type_ids=False)
    rows = [
        {
            "input_ids": [2, 7, 3],
            "attention_mask": [1, 1, 1],
            "token_type_ids": [0, 0, 0],
            "labels": [1.0, 0.0],
        },
        {
            "input_ids": [2, 3],
            "attention_mask": [1, 1],
            "token_type_ids": [0, 0],
            "labels": [0.0, 1.0],
        },
    ]
    batch = collate(rows)
    assert torch.equal(batch["input_ids"], torch.tensor([[2, 7, 3], [2, 3, 0]]))
    assert torch.equal(batch["attention_mask"], torch.tensor([[1, 1, 1], [1, 1, 0]]))
    assert "token_type_ids" not in batch
    assert batch["labels"].dtype == torch.float32


class _RecordBatches(pl.LightningModule):
    """Records the rows of every training batch, per epoch."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.seen: dict[int, list[list[int]]] = {}

    def training_step(self, batch: torch.Tensor, batch_index: int) -> torch.Tensor:
        self.seen.setdefault(self.current_epoch, []).append(batch.tolist())
        return (self.weight * batch.float().mean()).sum()

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.1)


def test_lightning_gives_each_epoch_a_new_batch_order() -> None:
    # Lightning only calls `set_epoch` on `dataloader.sampler` and
    # `dataloader.batch_sampler.sampler`; a batch sampler it cannot reach repeats epoch 0
    lengths = _lengths(256)
    loader = DataLoader(
        list(range(len(lengths))),
        batch_sampler=LengthGroupedBatchSampler(lengths, 16, seed=3),
    )
    module = _RecordBatches()
    trainer = pl.Trainer(
        max_epochs=3, logger=False, enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False, accelerator="cpu", use_distributed_sampler=False,
    )  # fmt: skip
    trainer.fit(module, loader)
    expected = []
    for epoch in range(3):
        sampler = LengthGroupedBatchSampler(lengths, 16, seed=3)
        sampler.set_epoch(epoch)
        expected.append(list(sampler))
    assert [module.seen[epoch] for epoch in range(3)] == expected
    assert expected[0] != expected[1] != expected[2]
