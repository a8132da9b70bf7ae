"""Label consistency: a classifier trained on real seed rows must recognise each intended
label of a synthetic row. A generation that drifted into another emotion is dropped.

The classifier is the explain stage's TF-IDF + logistic-regression surrogate (fast, fitted
in well under a second on thousands of rows); with balanced class weights its per-class
probability is comparable across frequent and rare classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import datasets
import numpy as np

from emoexp.explain.config import plain_config
from emoexp.explain.surrogate import fit_surrogate, label_matrix
from emoexp.filters.base import PASS, FilterContext, Measurement, TwoStepFilter, Verdict, column
from emoexp.filters.config import LabelConsistencyFilterConfig


class LabelConsistencyFilter(TwoStepFilter):
    name = "label_consistency"

    def __init__(self, cfg: LabelConsistencyFilterConfig, min_confidence: float) -> None:
        self.cfg = cfg
        self.min_confidence = min_confidence

    def scoring_config(self) -> dict[str, Any]:
        return {"min_df": self.cfg.min_df, "surrogate": plain_config(self.cfg.surrogate)}

    def score(self, ds: datasets.Dataset, context: FilterContext) -> list[Measurement]:
        if context.seed is None or len(context.seed) == 0:
            raise ValueError("the label_consistency filter needs the real seed set in its context")
        labels = tuple(context.taxonomy.labels)
        seed = context.seed
        surrogate = fit_surrogate(
            column(seed, "text"),
            label_matrix(column(seed, "labels"), labels),
            labels,
            self.cfg.surrogate,
            self.cfg.min_df,
        )
        texts = column(ds, "text")
        probabilities = surrogate.predict_proba(texts) if texts else np.zeros((0, len(labels)))
        index = {label: i for i, label in enumerate(labels)}
        measurements = []
        for row, intended in enumerate(column(ds, "labels")):
            detail: dict[str, Any] = {"probabilities": {}}
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
