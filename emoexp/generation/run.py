"""The generate stage: pick the strategy, run it, write accepted and rejected rows with
their stats and card."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets

from emoexp.data.schema import Row, provenance_of, rows_to_dataset
from emoexp.generation.card import dataset_card, push_to_hub
from emoexp.generation.config import GenConfig
from emoexp.generation.context import GenerationContext, TaxonomyLike
from emoexp.generation.strategies import STRATEGIES
from emoexp.llm.types import LLMBackend


@dataclass
class GenerationOutput:
    accepted: datasets.Dataset
    rejected: datasets.Dataset
    stats: dict[str, Any]


def _write_jsonl(path: Path, dataset: datasets.Dataset) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for record in dataset:
            record = dict(record)
            # decoded, so the file is readable as it stands
            record["provenance"] = provenance_of(record)
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def write_outputs(out_dir: Path, output: GenerationOutput, card: str) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    # an empty dataset saved with the default sharding writes no shard and cannot be reloaded
    shards = 1 if len(output.accepted) == 0 else None
    output.accepted.save_to_disk(str(out_dir / "synthetic"), num_shards=shards)
    _write_jsonl(out_dir / "synthetic.jsonl", output.accepted)
    _write_jsonl(out_dir / "rejected.jsonl", output.rejected)
    (out_dir / "generation_stats.json").write_text(
        json.dumps(output.stats, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    (out_dir / "README.md").write_text(card, encoding="utf-8")


def _summary(
    cfg: GenConfig, accepted: Sequence[Row], rejected: Sequence[Row], taxonomy: TaxonomyLike
) -> dict[str, Any]:
    per_label: Counter[str] = Counter({label: 0 for label in taxonomy.labels})
    per_label_count: Counter[int] = Counter()
    for row in accepted:
        per_label.update(row.labels)
        per_label_count[len(row.labels)] += 1
    templates = sorted(
        {
            str(row.provenance["template"])
            for row in [*accepted, *rejected]
            if "template" in row.provenance
        }
    )
    return {
        "strategy": cfg.strategy,
        "accepted": len(accepted),
        "rejected": len(rejected),
        "labels": dict(per_label),
        "labels_per_sample": {str(k): v for k, v in sorted(per_label_count.items())},
        "languages": dict(Counter(row.language for row in accepted)),
        "templates": templates,
        "distinct_prompts_per_language": _distinct_prompts([*accepted, *rejected]),
    }


def _distinct_prompts(rows: Sequence[Row]) -> dict[str, int]:
    """How many different prompts each language received (strategies that record a
    `prompt_sha` in provenance): a cultural adaptation that varies nothing shows up as 1."""
    prompts: dict[str, set[str]] = {}
    for row in rows:
        sha = row.provenance.get("prompt_sha")
        if sha:
            prompts.setdefault(row.language, set()).add(str(sha))
    return {language: len(shas) for language, shas in sorted(prompts.items())}


def generate(
    cfg: GenConfig,
    backend: LLMBackend | None,
    taxonomy: TaxonomyLike,
    seed: datasets.Dataset,
    keywords: Mapping[str, Sequence[tuple[str, float]]] | Any | None,
    out_dir: Path,
    *,
    structured: bool,
    language: str = "en",
) -> GenerationOutput:
    """Generate synthetic rows with the configured strategy. Accepted rows land in
    out_dir/synthetic (a saved Dataset) and out_dir/synthetic.jsonl, rejected ones with their
    reason in out_dir/rejected.jsonl; counts in out_dir/generation_stats.json."""
    out_dir = Path(out_dir)
    started = time.perf_counter()
    if cfg.strategy == "none":
        empty = rows_to_dataset([])
        stats: dict[str, Any] = {**_summary(cfg, [], [], taxonomy), "structured": structured}
        output = GenerationOutput(empty, rows_to_dataset([]), stats)
    else:
        strategy = STRATEGIES.get(cfg.strategy)
        if strategy is None:
            known = ", ".join(["none", *STRATEGIES])
            raise ValueError(f"gen.strategy={cfg.strategy!r} is not a strategy; known: {known}")
        if backend is None:
            raise ValueError(f"gen.strategy={cfg.strategy} needs an LLM backend")
        context = GenerationContext(
            cfg=cfg,
            backend=backend,
            taxonomy=taxonomy,
            seed=seed,
            keywords=keywords,
            structured=structured,
            language=language,
        )
        accepted, rejected = strategy(context)
        stats = {
            **_summary(cfg, accepted, rejected, taxonomy),
            "model": backend.model,
            "backend": backend.name,
            "structured": structured,
            "language": language,
            "seed": cfg.seed,
            **context.stats.to_dict(),
        }
        output = GenerationOutput(rows_to_dataset(accepted), rows_to_dataset(rejected), stats)
    stats["seconds"] = round(time.perf_counter() - started, 3)
    card = dataset_card(cfg, stats=stats, taxonomy_labels=taxonomy.labels, language=language)
    write_outputs(out_dir, output, card)
    if cfg.push_to_hub:
        push_to_hub(
            cfg.push_to_hub, output.accepted, output.rejected, card, private=cfg.hub_private
        )
    return output
