"""Explain stage: SHAP keywords per class from the real seed set (only for gen=shap).

The surrogate method explains a TF-IDF + logistic-regression model fitted on the seed set;
the partition method explains a transformer fine-tuned on the same seed set, which the
pipeline trains first (the artifact a `gen=none` job with the same settings would reuse).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emoexp.cache.artifacts import ArtifactStore
from emoexp.cache.fingerprint import fingerprint
from emoexp.data.schema import Row, rows_to_dataset
from emoexp.data.taxonomy import Taxonomy
from emoexp.explain import Keywords, explain_keywords, load_keywords
from emoexp.explain.config import ExplainConfig
from emoexp.stages.seed import SeedData
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
