"""Explain stage: SHAP keywords per class from the real seed set (only for gen=shap).

The surrogate method explains a TF-IDF + logistic-regression model fitted on the seed set;
the partition method explains a transformer fine-tuned on the same seed set, which the
pipeline trains first (the artifact a `gen=none` job with the same settings would reuse).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from emoexp.cache.artifacts import ArtifactStore
from emoexp.cache.fingerprint import fingerprint
from emoexp.config.schema import Config
from emoexp.data.schema import Row, rows_to_dataset
from emoexp.data.taxonomy import Taxonomy
from emoexp.explain import Keywords, explain_keywords, load_keywords
from emoexp.explain.config import ExplainConfig
from emoexp.stages.seed import SeedData
from emoexp.stages.train import train_stage
from emoexp.training.classifier import Classifier

EXPLAIN_STAGE_VERSION = 1


@dataclass
class Explained:
    key: str
    keywords: Keywords
    path: Path


class TextInputClassifier:
    """A trained classifier seen as SHAP wants it: raw texts in, probabilities out."""

    def __init__(self, classifier: Classifier) -> None:
        self.classifier = classifier
        self.tokenizer = classifier.tokenizer

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        zeros = [0.0] * len(self.classifier.label_names)
        rows = [
            Row(id=str(i), text=str(t), labels=[], multi_hot=zeros, taxonomy="")
            for i, t in enumerate(texts)
        ]
        return self.classifier.predict_proba(rows_to_dataset(rows))


def explain_stage(
    cfg: ExplainConfig,
    seed: SeedData,
    taxonomy: Taxonomy,
    store: ArtifactStore,
    classifier: Classifier | None = None,
    classifier_key: str = "",
) -> Explained:
    key = fingerprint("explain", EXPLAIN_STAGE_VERSION, cfg, seed.key, classifier_key)
    explained_model = TextInputClassifier(classifier) if classifier is not None else None

    def build(out: Path) -> dict[str, int]:
        keywords = explain_keywords(seed.train, taxonomy, cfg, out, classifier=explained_model)
        return {"classes": len(keywords.to_dict().get("classes", {}))}

    path, _ = store.get_or_build("explain", key, build, describe={"seed": seed.key})
    return Explained(key=key, keywords=load_keywords(path / "keywords.json"), path=path)


def explain_seed_set(
    cfg: Config, seed: SeedData, taxonomy: Taxonomy, store: ArtifactStore, job_dir: Path
) -> Explained:
    """SHAP keywords of the seed set: of the surrogate, or of a transformer fine-tuned on the
    seed set first (the same artifact a `gen=none` job with these settings trains)."""
    seed_model = None
    if cfg.explain.method == "partition":
        seed_model = train_stage(
            seed.train, seed.validation, [seed.key], taxonomy, cfg.model, cfg.trainer,
            context_window=cfg.data.context_window, seed=cfg.seed, loggers=[],
            job_dir=job_dir / "seed_model", store=store,
        )  # fmt: skip
    return explain_stage(
        cfg.explain,
        seed,
        taxonomy,
        store,
        classifier=seed_model.classifier if seed_model else None,
        classifier_key=seed_model.key if seed_model else "",
    )


def explain_summary(explained: Explained) -> dict[str, Any]:
    """What the keywords explain, and (partition) how far the fast surrogate agrees with the
    fine-tuned classifier's keywords: the number that says whether the surrogate will do."""
    metadata = explained.keywords.metadata
    summary: dict[str, Any] = {
        "artifact": str(explained.path),
        "method": explained.keywords.method,
        "explained_model": (
            "fine-tuned classifier (Partition SHAP)"
            if explained.keywords.method == "partition"
            else "tf-idf + logistic-regression surrogate (LinearExplainer)"
        ),
        "empty_classes": list(explained.keywords.empty_classes),
    }
    agreement = metadata.get("agreement_with_surrogate")
    if agreement:
        summary["surrogate_agreement"] = {
            key: value for key, value in agreement.items() if key != "classes"
        }
        summary["surrogate_agreement"]["per_class_jaccard"] = {
            label: entry["jaccard"] for label, entry in agreement["classes"].items()
        }
    return summary
