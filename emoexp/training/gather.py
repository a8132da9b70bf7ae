"""Validation predictions of every rank in one place, so a metric is computed once."""

from __future__ import annotations

import torch


def gather_shards(
    logits: list[torch.Tensor], targets: list[torch.Tensor]
) -> tuple[torch.Tensor, torch.Tensor] | None:
    """Every rank's validation batches, concatenated in rank order (None: no rows at all).

    Under DDP each rank scores a shard of the validation batches; average precision is not
    a mean over shards, so it is computed once over all rows. Shards differ in length (a
    rank may have none), hence `all_gather_object` rather than a fixed-shape all_gather.
    """
    batches = list(zip(logits, targets, strict=True))
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        shards: list[list[tuple[torch.Tensor, torch.Tensor]]] = [
            [] for _ in range(torch.distributed.get_world_size())
        ]
        torch.distributed.all_gather_object(shards, [(x.cpu(), y.cpu()) for x, y in batches])
        batches = [batch for shard in shards for batch in shard]
    if not batches:
        return None
    return torch.cat([x for x, _ in batches]), torch.cat([y for _, y in batches])
