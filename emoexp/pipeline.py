"""One run, top to bottom: seed -> explain -> generate -> filter -> train -> evaluate -> analyze.

Plain Python on purpose: each stage is a function from a config slice and upstream artifacts
to an artifact, and this file is the only place that knows their order.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import datasets
import numpy as np
from omegaconf import DictConfig, OmegaConf

from emoexp.cache.artifacts import ArtifactStore
from emoexp.data.taxonomy import load_taxonomy
from emoexp.metrics.multilabel import multilabel_metrics, tune_thresholds
from emoexp.stages.seed import seed_stage
from emoexp.stages.train import train_stage
from emoexp.tracking.job_record import METRICS_FILE, JobRecord, write_json
from emoexp.tracking.loggers import build_loggers, finish_loggers, log_final_metrics
from emoexp.tracking.redact import redact
from emoexp.tracking.summary import write_summary

log = logging.getLogger(__name__)

REGIMES = ("real", "synthetic", "real+synthetic")


def targets_of(ds: datasets.Dataset) -> np.ndarray:
    return np.asarray(ds["multi_hot"], dtype=np.float32)


def training_rows(
    regime: str, real: datasets.Dataset, synthetic: datasets.Dataset
) -> datasets.Dataset:
    if regime == "real":
        return real
    if regime == "synthetic":
        if len(synthetic) == 0:
            raise ValueError("regime=synthetic needs a generation strategy (gen=...) that keeps rows")
        return synthetic
    if regime == "real+synthetic":
        return datasets.concatenate_datasets([real, synthetic]) if len(synthetic) else real
    raise ValueError(f"regime must be one of {', '.join(REGIMES)}; got {regime!r}")


def run(cfg: DictConfig, overrides: list[str] | None = None, tags: list[str] | None = None) -> dict[str, Any]:
    """Run one job into `cfg.paths.output_dir` and return its metrics.

    The status file records success or failure (with the traceback); the exception is
    re-raised so the caller decides whether a failure ends the process or only this job.
    """
    job_dir = Path(cfg.paths.output_dir)
    job_dir.mkdir(parents=True, exist_ok=True)
    record = JobRecord(job_dir, overrides or [])
    record.running()
    resolved = redact(OmegaConf.to_container(cfg, resolve=True))
    record.write_config(resolved)
    loggers = build_loggers(cfg.logger, job_dir, resolved, tags or [], run_name=job_dir.name)
    failed = True
    try:
        metrics = _run_stages(cfg, job_dir, loggers)
        failed = False
    except BaseException as error:
        record.failed(error)
        raise
    finally:
        finish_loggers(loggers, failed=failed)
    record.completed()
    return metrics


def _run_stages(cfg: DictConfig, job_dir: Path, loggers: list) -> dict[str, Any]:
    store = ArtifactStore(cfg.paths.cache_dir)
    taxonomy = load_taxonomy(cfg.taxonomy)
    metrics: dict[str, Any] = {}

    seed = seed_stage(cfg.data, taxonomy, cfg.paths.data_dir, cfg.seed, store)
    metrics["data"] = seed.summary

    synthetic = datasets.Dataset.from_dict({})  # replaced by the generation stage
    train_rows = training_rows(cfg.regime, seed.train, synthetic if len(synthetic) else _empty_like(seed.train))
    trained = train_stage(
        train_rows,
        seed.validation,
        [seed.key],
        taxonomy,
        cfg.model,
        cfg.trainer,
        context_window=cfg.data.context_window,
        seed=cfg.seed,
        loggers=loggers,
        job_dir=job_dir,
        store=store,
    )
    metrics["train"] = {"rows": len(train_rows), "reused": trained.reused, "key": trained.key}

    labels = list(taxonomy.labels)
    thresholds = None
    if cfg.eval.tune_thresholds:
        val_probs = trained.classifier.predict_proba(seed.validation)
        thresholds = tune_thresholds(val_probs, targets_of(seed.validation))
    test_probs = trained.classifier.predict_proba(seed.test)
    metrics["test"] = multilabel_metrics(test_probs, targets_of(seed.test), labels, thresholds)
    if thresholds is not None:
        metrics["thresholds"] = dict(zip(labels, np.asarray(thresholds).tolist(), strict=True))

    write_json(job_dir / METRICS_FILE, metrics)
    write_summary(job_dir, cfg, metrics)
    log_final_metrics(loggers, _flat_scalars(metrics["test"], prefix="test/"))
    return metrics


def _empty_like(ds: datasets.Dataset) -> datasets.Dataset:
    return ds.select([])


def _flat_scalars(values: dict[str, Any], prefix: str) -> dict[str, float]:
    return {
        f"{prefix}{k}": float(v)
        for k, v in values.items()
        if isinstance(v, int | float) and not isinstance(v, bool)
    }
