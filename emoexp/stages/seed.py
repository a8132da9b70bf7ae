"""Seed stage: read a real corpus, map it into the target taxonomy, sample the seed set.

The key hashes the corpus files' contents (not the folder's path): an edited file is read
again, the same files elsewhere reuse the artifact. A split left without rows (an empty file,
or one whose every row was bad) stops the stage with the file named; nothing is cached.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets

from emoexp.cache.artifacts import ArtifactStore
from emoexp.cache.file_hashes import folder_contents
from emoexp.cache.fingerprint import fingerprint, without
from emoexp.data.config import DataConfig
from emoexp.data.conversation import attach_context
from emoexp.data.loading import LoadedCorpus, load_corpus, local_root, map_corpus
from emoexp.data.report import DataError
from emoexp.data.sampling import sample_rows, seed_sample
from emoexp.data.taxonomy import Taxonomy, load_mapping

# bump when loading or mapping code changes what a cached seed artifact would contain
SEED_STAGE_VERSION = 3
# where the corpus sits, not what it holds (its files' contents enter the key instead)
LOCATION_ONLY = ("path", "folder")
SPLIT_FILES = {"train": "train_file", "validation": "validation_file", "test": "test_file"}

log = logging.getLogger(__name__)


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
    key = fingerprint(
        "seed", SEED_STAGE_VERSION, without(data_cfg, LOCATION_ONLY), taxonomy.name,
        corpus_contents(data_cfg, data_dir, store.root), seed,
    )  # fmt: skip

    def build(out: Path) -> dict[str, Any]:
        corpus = load_corpus(data_cfg, data_dir)
        require_rows(corpus)
        mapping = load_mapping(data_cfg.source_taxonomy, taxonomy.name)
        splits, mapping_stats = map_corpus(corpus.splits, mapping, taxonomy)
        if data_cfg.context_window > 0:
            splits = datasets.DatasetDict(
                {
                    name: attach_context(split, data_cfg.context_window, corpus.splits[name])
                    for name, split in splits.items()
                }
            )
        require_rows(corpus, splits)
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
    summary = store.summary("seed", key)
    if summary.get("skipped_rows"):
        log.warning(
            "%s: %d malformed row(s) skipped (%s); each one with file, line and reason in %s",
            data_cfg.name,
            summary["skipped_rows"],
            ", ".join(f"{n} {kind}" for kind, n in sorted(summary["skipped_by_kind"].items())),
            path / "load_report.json",
        )
    return SeedData(
        key=key,
        train=splits["train"],
        validation=splits["validation"],
        test=splits["test"],
        summary={**summary, "load_report": str(path / "load_report.json")},
        reserve=splits["reserve"],
    )


def corpus_contents(data_cfg: DataConfig, data_dir: str, cache_root: Path) -> dict[str, Any]:
    """What the corpus is, for the key: its local files' hashes, or its hub id."""
    root = local_root(data_cfg, data_dir)
    if not root.exists():
        return {"hub_id": data_cfg.hub_id, "hub_config": data_cfg.hub_config}
    extra = [Path(getattr(data_cfg, name)).expanduser() for name in SPLIT_FILES.values()]
    extra = [path for path in extra if path.is_absolute()]
    return folder_contents(root, cache_root / "file_hashes.json", extra)


def require_rows(corpus: LoadedCorpus, splits: datasets.DatasetDict | None = None) -> None:
    """Stop at a split with no rows (read, or left after mapping), naming its files."""
    for split, option in SPLIT_FILES.items():
        rows = len(splits[split]) if splits is not None else corpus.report.rows_read.get(split, 0)
        if rows:
            continue
        files = corpus.report.files.get(split, [])
        if not files:
            raise DataError(
                f"the {split} split has no rows: {corpus.report.origin or 'the corpus'} gave "
                f"none (data.{option} names no file); every split needs rows"
            )
        skipped = [row for row in corpus.report.skipped if row.file in files]
        if splits is not None:
            why = "every row's labels map to nothing in the target taxonomy"
        elif skipped:
            why = f"all {len(skipped)} rows are malformed, first: line {skipped[0].line}: " + (
                skipped[0].reason
            )
        else:
            why = "the file holds no rows"
        raise DataError(f"the {split} split has no usable rows: {why}", ", ".join(files))
