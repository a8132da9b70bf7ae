"""Evaluate stage: the trained classifier on the real test split (thresholds tuned on the
validation split), on the held-out synthetic rows and on the zero-shot sets.

Each scored split's probabilities go to `predictions/<split>.npz`, which the report's
per-example paired tests read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import datasets
import numpy as np

from emoexp.config.schema import Config
from emoexp.data.columns import column
from emoexp.data.taxonomy import Taxonomy
from emoexp.evaluation.predictions import save_predictions
from emoexp.evaluation.zero_shot import evaluate_zero_shot
from emoexp.metrics.multilabel import multilabel_metrics, tune_thresholds
from emoexp.metrics.single_label import is_single_label, single_label_metrics
from emoexp.models.languages import covered_languages
from emoexp.stages.seed import SeedData
from emoexp.training.classifier import Classifier


def targets_of(ds: datasets.Dataset) -> np.ndarray:
    return np.asarray(ds["multi_hot"], dtype=np.float32)


def evaluate_stage(
    cfg: Config,
    classifier: Classifier,
    seed: SeedData,
    synthetic_test: datasets.Dataset,
    taxonomy: Taxonomy,
    job_dir: Path,
) -> dict[str, Any]:
    """In-domain test metrics, synthetic hold-out metrics (when there is a hold-out) and
    zero-shot metrics (when `eval.zero_shot` names sets)."""
    labels = list(taxonomy.labels)
    out: dict[str, Any] = {}
    thresholds = None
    if cfg.eval.tune_thresholds:
        val_probs = classifier.predict_proba(seed.validation)
        thresholds = tune_thresholds(val_probs, targets_of(seed.validation))
        out["thresholds"] = dict(zip(labels, np.asarray(thresholds).tolist(), strict=True))
    test_probs = classifier.predict_proba(seed.test)
    out["test"] = multilabel_metrics(test_probs, targets_of(seed.test), labels, thresholds)
    if is_single_label(targets_of(seed.test)):
        # one emotion per row (MELD, EmoryNLP, DailyDialog): the figures their papers report
        out["test"]["single_label"] = single_label_metrics(
            test_probs, targets_of(seed.test), labels
        )
    _save_predictions(job_dir, "test", test_probs, seed.test, taxonomy, thresholds)
    if cfg.eval.zero_shot:
        out["zero_shot"] = evaluate_zero_shot(
            classifier,
            cfg.eval,
            cfg.paths.data_dir,
            taxonomy,
            thresholds,
            training_corpus=(cfg.data.name, cfg.data.language),
            encoder_languages=covered_languages(cfg.model.languages, _training_languages(cfg)),
            predictions_dir=job_dir,
        )
    if len(synthetic_test):
        probs = classifier.predict_proba(synthetic_test)
        out["synthetic_test"] = multilabel_metrics(probs, targets_of(synthetic_test), labels)
        _save_predictions(job_dir, "synthetic_test", probs, synthetic_test, taxonomy)
    return out


def _save_predictions(
    job_dir: Path,
    name: str,
    probs: np.ndarray,
    rows: datasets.Dataset,
    taxonomy: Taxonomy,
    thresholds: np.ndarray | None = None,
) -> None:
    ids = column(rows, "id")
    save_predictions(job_dir, name, probs, targets_of(rows), ids, list(taxonomy.labels), thresholds)


def _training_languages(cfg: Config) -> set[str]:
    """The real data's language, plus the generated languages when synthetic rows train."""
    languages = {str(cfg.data.language)}
    if cfg.regime != "real" and cfg.gen.strategy == "multilingual":
        languages |= {str(code) for code in cfg.gen.multilingual.languages}
    return languages
