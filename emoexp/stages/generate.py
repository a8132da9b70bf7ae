"""Generate stage: a strategy turns prompts into synthetic rows through an LLM backend.

Every LLM response goes through the durable response cache shared by all runs, so the
artifact can be rebuilt without paying twice; the artifact itself saves reading the cache
back and re-parsing when nothing upstream changed.

Only a complete generation is stored under the stage key. One with samples the LLM never
answered fails the job, or, when `gen.max_missing_fraction` allows the share missing, is
stored under a key of its own contents, so the next run still asks for the missing samples.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import datasets

from emoexp.cache.artifacts import ArtifactStore
from emoexp.cache.fingerprint import fingerprint, without
from emoexp.data.schema import rows_to_dataset
from emoexp.data.taxonomy import Taxonomy
from emoexp.explain import Keywords
from emoexp.generation import generate
from emoexp.generation.completeness import IncompleteGenerationError, completeness
from emoexp.generation.config import GenConfig
from emoexp.llm.config import LLMConfig
from emoexp.llm.factory import build_backend
from emoexp.stages.seed import SeedData

log = logging.getLogger(__name__)

GENERATE_STAGE_VERSION = 3
# generation settings that decide whether a result is accepted, not what it contains
ACCEPTANCE_ONLY = ("max_missing_fraction",)


@dataclass
class Generated:
    key: str
    accepted: datasets.Dataset
    rejected: datasets.Dataset
    stats: dict[str, Any]


def response_cache_path(store: ArtifactStore) -> Path:
    return store.root / "llm" / "responses.sqlite"


def generation_key(
    gen_cfg: GenConfig,
    llm_cfg: LLMConfig,
    seed_key: str,
    keywords_key: str,
    taxonomy: str,
    language: str,
) -> str:
    """The stage key: the generation settings and the LLM's request part (what the model is
    asked and how it samples), never how requests travel (emoexp/llm/config.py)."""
    return fingerprint(
        "generate", GENERATE_STAGE_VERSION, without(gen_cfg, ACCEPTANCE_ONLY),
        asdict(llm_cfg.request), seed_key, keywords_key, taxonomy, language,
    )  # fmt: skip


def generate_stage(
    gen_cfg: GenConfig,
    llm_cfg: LLMConfig,
    seed: SeedData,
    keywords: Keywords | None,
    keywords_key: str,
    taxonomy: Taxonomy,
    language: str,
    store: ArtifactStore,
) -> Generated:
    if gen_cfg.strategy == "none":
        empty = rows_to_dataset([])
        return Generated(key="none", accepted=empty, rejected=empty, stats={"strategy": "none"})
    key = generation_key(gen_cfg, llm_cfg, seed.key, keywords_key, taxonomy.name, language)
    describe = {"seed": seed.key}

    def build(out: Path) -> dict[str, Any]:
        backend = build_backend(llm_cfg, response_cache_path(store))
        output = generate(
            gen_cfg,
            backend,
            taxonomy,
            seed.train,
            keywords,
            out,
            structured=llm_cfg.structured,
            language=language,
        )
        report = completeness(output.accepted, output.rejected, output.stats)
        stats = {**output.stats, **report.to_dict()}
        if report.missing:
            # the rows that did arrive, under a key of their own contents: never served as
            # the finished generation, so a rerun asks again for what is missing
            partial_key = f"{key}-partial-{_contents_digest(out)}"
            if report.fraction <= gen_cfg.max_missing_fraction:
                store.put("generate", partial_key, out, stats, describe)
            raise IncompleteGenerationError(report, gen_cfg.max_missing_fraction, partial_key)
        return stats

    try:
        path, _ = store.get_or_build("generate", key, build, describe=describe)
    except IncompleteGenerationError as incomplete:
        if incomplete.report.fraction > gen_cfg.max_missing_fraction:
            raise
        log.warning(
            "generation incomplete but within gen.max_missing_fraction=%s: %s; "
            "a rerun asks again for the missing samples",
            gen_cfg.max_missing_fraction,
            incomplete.report.describe(),
        )
        key = incomplete.partial_key
        path = store.path("generate", key)
    return Generated(
        key=key,
        accepted=datasets.load_from_disk(str(path / "synthetic")),
        rejected=_load_jsonl(path / "rejected.jsonl"),
        stats=store.summary("generate", key),
    )


def _contents_digest(folder: Path) -> str:
    """Hash of the rows a generation wrote (accepted and rejected)."""
    digest = hashlib.sha256()
    for name in ("synthetic.jsonl", "rejected.jsonl"):
        file = folder / name
        digest.update(file.read_bytes() if file.is_file() else b"")
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def _load_jsonl(path: Path) -> datasets.Dataset:
    if not path.is_file() or path.stat().st_size == 0:
        return rows_to_dataset([])
    from emoexp.data.schema import FEATURES

    return datasets.Dataset.from_json(str(path), features=FEATURES)
