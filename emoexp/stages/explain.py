"""Explain stage: SHAP keywords per class from the real seed set (only for gen=shap)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from emoexp.cache.artifacts import ArtifactStore
from emoexp.cache.fingerprint import fingerprint
from emoexp.data.taxonomy import Taxonomy
from emoexp.explain import Keywords, explain_keywords, load_keywords
from emoexp.explain.config import ExplainConfig
from emoexp.stages.seed import SeedData

EXPLAIN_STAGE_VERSION = 1


@dataclass
class Explained:
    key: str
    keywords: Keywords
    path: Path


def explain_stage(
    cfg: ExplainConfig, seed: SeedData, taxonomy: Taxonomy, store: ArtifactStore
) -> Explained:
    key = fingerprint("explain", EXPLAIN_STAGE_VERSION, cfg, seed.key)

    def build(out: Path) -> dict[str, int]:
        keywords = explain_keywords(seed.train, taxonomy, cfg, out)
        return {"classes": len(keywords.to_dict().get("classes", {}))}

    path, _ = store.get_or_build("explain", key, build, describe={"seed": seed.key})
    return Explained(key=key, keywords=load_keywords(path / "keywords.json"), path=path)
