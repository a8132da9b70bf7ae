"""Seed stage: read a real corpus, map it into the target taxonomy, sample the seed set."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets

from emoexp.cache.artifacts import ArtifactStore
from emoexp.cache.fingerprint import fingerprint
from emoexp.data.config import DataConfig
from emoexp.data.conversation import attach_context
from emoexp.data.loading import load_corpus, map_corpus
from emoexp.data.sampling import sample_rows, seed_sample
from emoexp.data.taxonomy import Taxonomy, load_mapping

# bump when loading or mapping code changes what a cached seed artifact would contain
SEED_STAGE_VERSION = 2


@dataclass
class SeedData:
    key: str
    train: datasets.Dataset
    validation: datasets.Dataset
    test: datasets.Dataset
    summary: dict[str, Any]
    # training rows left out of the seed set: the pool of the extra-real-data arm
    reserve: datasets.Dataset | None = None


def resolve_data_dir(data_dir: str) -> str:
    return str(Path(data_dir).expanduser().resolve())


def seed_stage(
    data_cfg: DataConfig, taxonomy: Taxonomy, data_dir: str, seed: int, store: ArtifactStore
) -> SeedData:
    data_dir = resolve_data_dir(data_dir)
    key = fingerprint("seed", SEED_STAGE_VERSION, data_cfg, taxonomy.name, data_dir, seed)

    def build(out: Path) -> dict[str, Any]:
        corpus = load_corpus(data_cfg, data_dir)
        mapping = load_mapping(data_cfg.source_taxonomy, taxonomy.name)
        splits, mapping_stats = map_corpus(corpus.splits, mapping, taxonomy)
        if data_cfg.context_window > 0:
            splits = datasets.DatasetDict(
                {
                    name: attach_context(split, data_cfg.context_window, corpus.splits[name])
                    for name, split in splits.items()
                }
            )
        train = splits["train"]
        if data_cfg.seed_size:
            train = seed_sample(train, taxonomy, data_cfg.seed_size, seed, data_cfg.seed_sampling)
        train = sample_rows(train, data_cfg.max_train_rows, seed)
        in_seed = set(train["id"])
        sampled = datasets.DatasetDict(
            train=train,
            validation=sample_rows(splits["validation"], data_cfg.max_eval_rows, seed),
            test=sample_rows(splits["test"], data_cfg.max_eval_rows, seed),
            reserve=splits["train"].filter(lambda row: row["id"] not in in_seed),
        )
        sampled.save_to_disk(str(out / "splits"))
        report = corpus.report.to_dict()
        (out / "load_report.json").write_text(json.dumps(report, indent=2, default=str))
        return {
            "rows": {name: len(split) for name, split in sampled.items()},
            "seed_sampling": data_cfg.seed_sampling if data_cfg.seed_size else "all",
            "skipped_rows": report["rows_skipped"],
            "skipped_by_kind": report.get("skipped_by_kind", {}),
            "mapping": mapping_stats,
        }

    path, _ = store.get_or_build("seed", key, build, describe={"data": data_cfg, "seed": seed})
    splits = datasets.load_from_disk(str(path / "splits"))
    return SeedData(
        key=key,
        train=splits["train"],
        validation=splits["validation"],
        test=splits["test"],
        summary=store.summary("seed", key),
        reserve=splits["reserve"],
    )
