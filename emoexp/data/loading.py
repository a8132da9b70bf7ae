"""Read a real corpus into the shared row schema, and map it into another taxonomy.

`load_corpus` prefers a local copy in the release's own format; only when there is none
and the config names a hub id does it go through `datasets.load_dataset`. Both paths end
in the same loader code, so a hub copy and a local copy give the same rows.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import datasets

from emoexp.data.builder import CorpusBuilder
from emoexp.data.columns import as_table, rebuild
from emoexp.data.config import DataConfig
from emoexp.data.loaders import dailydialog, emorynlp, goemotions, meld, semeval_ec, tabular
from emoexp.data.report import CorpusNotFoundError, DataError, LoadReport
from emoexp.data.splits import normalise_split
from emoexp.data.taxonomy import LabelMapping, Taxonomy, load_taxonomy

LOADERS: dict[str, ModuleType] = {
    "goemotions": goemotions,
    "meld": meld,
    "emorynlp": emorynlp,
    "semeval_ec": semeval_ec,
    "dailydialog": dailydialog,
    "tabular": tabular,
}


@dataclass
class LoadedCorpus:
    """train/validation/test in the corpus' own taxonomy, and what loading them refused."""

    splits: datasets.DatasetDict
    report: LoadReport
    taxonomy: Taxonomy


def local_root(cfg: DataConfig, data_dir: str | Path) -> Path:
    return Path(cfg.path).expanduser() if cfg.path else Path(data_dir).expanduser() / cfg.folder


def load_corpus(cfg: DataConfig, data_dir: str | Path) -> LoadedCorpus:
    """Read the corpus `cfg` names: local folder first, hub id as the fallback."""
    loader = LOADERS.get(cfg.name)
    if loader is None:
        raise ValueError(f"unknown data.name {cfg.name!r}; loaders: {sorted(LOADERS)}")
    taxonomy = load_taxonomy(cfg.source_taxonomy)
    source = cfg.source or cfg.name
    report = LoadReport(source=source, policy=cfg.bad_rows)
    builder = CorpusBuilder(source, taxonomy, cfg.language, report)
    root = local_root(cfg, data_dir)
    if root.exists():
        report.origin = str(root.resolve())
        loader.read_local(root, cfg, builder)
    else:
        report.origin = f"hub:{cfg.hub_id}"
        loader.read_hub(load_hub_splits(cfg, root, report), cfg, builder)
    return LoadedCorpus(splits=builder.finish(), report=report, taxonomy=taxonomy)


def load_hub_splits(cfg: DataConfig, root: Path, report: LoadReport) -> dict[str, datasets.Dataset]:
    """The hub copy with split names normalised; other splits are listed in the report."""
    if not cfg.hub_id:
        raise CorpusNotFoundError(
            f"no local copy of {cfg.name!r} at {root} and no data.hub_id to fall back on; "
            f"set data.path, paths.data_dir (or EMOEXP_DATA_DIR) or data.hub_id"
        )
    try:
        hub = datasets.load_dataset(cfg.hub_id, cfg.hub_config or None)
    except Exception as exc:  # re-raised with both locations named; nothing is swallowed
        raise CorpusNotFoundError(
            f"no local copy of {cfg.name!r} at {root}, and loading hub dataset "
            f"{cfg.hub_id!r} (config {cfg.hub_config or 'default'!r}) failed: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    splits: dict[str, datasets.Dataset] = {}
    for name, ds in hub.items():
        split = normalise_split(name)
        if split is None or split in splits:
            report.ignored_splits.append(name)
            continue
        splits[split] = ds
    return splits


def map_corpus(
    splits: datasets.DatasetDict, mapping: LabelMapping, target: Taxonomy
) -> tuple[datasets.DatasetDict, dict[str, Any]]:
    """Relabel every split into `target`; rows the mapping's rules drop are counted.

    Each kept row's provenance gains `source_labels` and `source_taxonomy`, so a mapped
    label can always be traced to what the annotators wrote.
    """
    if mapping.target != target.name:
        raise ValueError(
            f"mapping {mapping.describe()} targets {mapping.target!r}, not {target.name!r}"
        )
    mapped: dict[str, datasets.Dataset] = {}
    stats: dict[str, Any] = {"source": mapping.source, "target": target.name, "splits": {}}
    for name, ds in splits.items():
        mapped[name], stats["splits"][name] = _map_split(ds, name, mapping, target)
    return datasets.DatasetDict(mapped), stats


def _map_split(
    ds: datasets.Dataset, name: str, mapping: LabelMapping, target: Taxonomy
) -> tuple[datasets.Dataset, dict[str, Any]]:
    table = as_table(ds)
    wrong = sorted(set(table.column("taxonomy").to_pylist()) - {mapping.source})
    if wrong:
        raise ValueError(
            f"split {name!r} holds rows of taxonomy {wrong}; mapping "
            f"{mapping.describe()} reads {mapping.source!r}"
        )
    keep: list[int] = []
    new: dict[str, list[Any]] = {"labels": [], "multi_hot": [], "taxonomy": [], "provenance": []}
    dropped: Counter[str] = Counter()
    relabelled: Counter[str] = Counter()
    label_counts: Counter[str] = Counter()
    provenances = table.column("provenance").to_pylist()
    # rows share few distinct label sets: resolve each set once
    resolved: dict[tuple[str, ...], tuple[list[str] | None, str | None, list[float], str]] = {}
    for i, source_labels in enumerate(table.column("labels").to_pylist()):
        key = tuple(source_labels)
        if key not in resolved:
            labels, rule = mapping.resolve(source_labels)
            resolved[key] = (labels, rule, target.multi_hot(labels or []), json.dumps(key))
        labels, rule, multi_hot, source_json = resolved[key]
        if labels is None:
            dropped[rule or ""] += 1
            continue
        if rule is not None:
            relabelled[rule] += 1
        label_counts.update(labels)
        keep.append(i)
        new["labels"].append(labels)
        new["multi_hot"].append(multi_hot)
        new["taxonomy"].append(target.name)
        new["provenance"].append(
            with_source_labels(provenances[i], source_json, source_labels, mapping.source)
        )
    split_stats = {
        "rows_before": len(ds),
        "rows_after": len(keep),
        "dropped_by_rule": dict(dropped),
        "relabelled_by_rule": dict(relabelled),
        "label_counts": {label: label_counts[label] for label in target.labels},
    }
    return rebuild(table, keep, new), split_stats


def with_source_labels(
    provenance: str | None, source_json: str, source_labels: list[str], source: str
) -> str:
    """Add source_labels/source_taxonomy to a provenance JSON object string.

    Appending to the serialised object avoids a decode/encode per row; a provenance that
    already carries these keys (a corpus mapped twice) is rewritten properly instead.
    """
    text = (provenance or "{}").rstrip()
    if '"source_labels"' in text or '"source_taxonomy"' in text or not text.endswith("}"):
        decoded = json.loads(text)
        decoded["source_labels"] = source_labels
        decoded["source_taxonomy"] = source
        return json.dumps(decoded, ensure_ascii=False)
    body = text[:-1].rstrip()
    separator = "" if body.endswith("{") else ", "
    return (
        f'{body}{separator}"source_labels": {source_json}, '
        f'"source_taxonomy": {json.dumps(source)}}}'
    )


__all__ = ["DataError", "LoadedCorpus", "load_corpus", "map_corpus"]
