"""Batches of similar length, so short texts are not padded to the longest of the corpus.

Training batches are drawn from shuffled "mega-batches" of ~50 batches: rows are sorted by
length inside each one, cut into batches, and the batch order is shuffled again. Batches
stay random (a different mix every epoch, set by seed and epoch) while padding nearly
vanishes. Prediction sorts the whole set by length and puts outputs back in row order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler


class LengthGroupedBatchSampler(Sampler[list[int]]):
    """Random batches of rows of similar length; deterministic for a (seed, epoch)."""

    def __init__(
        self,
        lengths: Sequence[int],
        batch_size: int,
        *,
        seed: int,
        mega_batch_factor: int = 50,
        num_replicas: int = 1,
        rank: int = 0,
    ) -> None:
        if batch_size < 1 or mega_batch_factor < 1:
            raise ValueError("batch_size and mega_batch_factor must be positive")
        if not 0 <= rank < num_replicas:
            raise ValueError(f"rank {rank} outside [0, {num_replicas})")
        self.lengths = np.asarray(lengths, dtype=np.int64)
        self.batch_size = batch_size
        self.seed = seed
        self.mega_batch_size = batch_size * mega_batch_factor
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0

    @property
    def sampler(self) -> LengthGroupedBatchSampler:
        """Lightning calls `set_epoch` only on `dataloader.batch_sampler.sampler`; pointing it
        back here is what gives each epoch (resumed or not) its own order."""
        return self

    def set_epoch(self, epoch: int) -> None:
        """Called by Lightning at each epoch start: a new, reproducible order."""
        self.epoch = epoch

    def all_batches(self) -> list[list[int]]:
        """This epoch's batches for every replica, before sharding."""
        rng = np.random.default_rng([self.seed, self.epoch])
        order = rng.permutation(len(self.lengths))
        batches: list[list[int]] = []
        for start in range(0, len(order), self.mega_batch_size):
            mega = order[start : start + self.mega_batch_size]
            # stable sort keeps the shuffled order among equal lengths
            mega = mega[np.argsort(-self.lengths[mega], kind="stable")]
            batches.extend(
                mega[i : i + self.batch_size].tolist() for i in range(0, len(mega), self.batch_size)
            )
        batch_order = rng.permutation(len(batches))
        return [batches[i] for i in batch_order]

    def _shard(self, batches: list[list[int]]) -> list[list[int]]:
        if self.num_replicas == 1 or not batches:
            return batches
        # every replica must run the same number of steps: repeat batches to even it out
        missing = -len(batches) % self.num_replicas
        padded = batches + batches[:missing]
        return padded[self.rank :: self.num_replicas]

    def __iter__(self) -> Iterator[list[int]]:
        # a generator: the order is drawn at the first batch, not at `iter()`. Lightning creates
        # a resumed run's first iterator before it calls `set_epoch`.
        yield from self._shard(self.all_batches())

    def __len__(self) -> int:
        full, rest = divmod(len(self.lengths), self.mega_batch_size)
        count = full * -(-self.mega_batch_size // self.batch_size) + -(-rest // self.batch_size)
        return -(-count // self.num_replicas)


def sorted_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Batches of the rows sorted by length (longest first), for prediction."""
    order = np.argsort(-np.asarray(lengths, dtype=np.int64), kind="stable")
    return [order[i : i + batch_size].tolist() for i in range(0, len(order), batch_size)]


def padding_fraction(batches: Sequence[Sequence[int]], lengths: Sequence[int]) -> float:
    """Share of the tokens in padded batches that are padding."""
    lengths_array = np.asarray(lengths, dtype=np.int64)
    real = padded = 0
    for batch in batches:
        batch_lengths = lengths_array[list(batch)]
        real += int(batch_lengths.sum())
        padded += int(batch_lengths.max()) * len(batch) if len(batch) else 0
    return 1.0 - real / padded if padded else 0.0


class TokenizedRows(Dataset):
    """Tokenized rows held as Python lists: indexing an Arrow table per row is slower
    than the model step on short texts."""

    def __init__(self, columns: dict[str, list[Any]]) -> None:
        self.input_ids = columns["input_ids"]
        self.attention_mask = columns["attention_mask"]
        self.token_type_ids = columns["token_type_ids"]
        self.labels = columns["labels"]
        self.lengths = columns["length"]

    def __len__(self) -> int:
        return len(self.input_ids)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return {
            "input_ids": self.input_ids[index],
            "attention_mask": self.attention_mask[index],
            "token_type_ids": self.token_type_ids[index],
            "labels": self.labels[index],
        }


class PadCollator:
    """Pads a batch to its own longest row (dynamic padding)."""

    def __init__(self, pad_token_id: int, use_token_type_ids: bool) -> None:
        self.pad_token_id = pad_token_id
        self.use_token_type_ids = use_token_type_ids

    def __call__(self, rows: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        width = max(len(row["input_ids"]) for row in rows)
        size = (len(rows), width)
        input_ids = torch.full(size, self.pad_token_id, dtype=torch.long)
        attention_mask = torch.zeros(size, dtype=torch.long)
        token_type_ids = torch.zeros(size, dtype=torch.long)
        for i, row in enumerate(rows):
            n = len(row["input_ids"])
            input_ids[i, :n] = torch.tensor(row["input_ids"], dtype=torch.long)
            attention_mask[i, :n] = torch.tensor(row["attention_mask"], dtype=torch.long)
            token_type_ids[i, :n] = torch.tensor(row["token_type_ids"], dtype=torch.long)
        batch = {
            "input_ids": input_ids,
            "attention_mask": attention_mask,
            "labels": torch.tensor([row["labels"] for row in rows], dtype=torch.float32),
        }
        if self.use_token_type_ids:
            batch["token_type_ids"] = token_type_ids
        return batch
