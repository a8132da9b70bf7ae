"""One run, top to bottom: seed -> explain -> generate -> filter -> train -> evaluate -> analyze.

Plain Python on purpose: each stage is a function from a config slice and upstream artifacts
to an artifact, and this file is the only place that knows their order.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import datasets
import numpy as np
import yaml
from omegaconf import DictConfig, OmegaConf

from emoexp.analysis.compare import analyze
from emoexp.cache.artifacts import ArtifactStore
from emoexp.data.taxonomy import Taxonomy, load_taxonomy
from emoexp.evaluation.predictions import save_predictions
from emoexp.evaluation.zero_shot import evaluate_zero_shot
from emoexp.llm.factory import build_backend
from emoexp.metrics.multilabel import multilabel_metrics, tune_thresholds
from emoexp.stages.dry_run import dry_run_stage
from emoexp.stages.explain import Explained, explain_stage
from emoexp.stages.filter import filter_stage
from emoexp.stages.generate import generate_stage, response_cache_path
from emoexp.stages.seed import SeedData, seed_stage
from emoexp.stages.train import train_stage
from emoexp.tracking.job_record import (
    CONFIG_FILE,
    METRICS_FILE,
    JobRecord,
    read_status,
    write_json,
)
from emoexp.tracking.loggers import build_loggers, finish_loggers, log_final_metrics
from emoexp.tracking.redact import redact
from emoexp.tracking.summary import write_summary
from emoexp.training.classifier import Classifier

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
            raise ValueError("regime=synthetic needs a strategy (gen=...) that keeps rows")
        return synthetic
    if regime == "real+synthetic":
        return datasets.concatenate_datasets([real, synthetic]) if len(synthetic) else real
    raise ValueError(f"regime must be one of {', '.join(REGIMES)}; got {regime!r}")


def holdout(
    rows: datasets.Dataset, fraction: float, seed: int
) -> tuple[datasets.Dataset, datasets.Dataset]:
    """Split kept synthetic rows into training rows and an in-domain test split; too few
    rows for a test split of at least 10 keep them all for training."""
    n_test = int(len(rows) * fraction)
    if n_test < 10:
        return rows, rows.select([])
    split = rows.train_test_split(test_size=n_test, seed=seed, shuffle=True)
    return split["train"], split["test"]


def run(
    cfg: DictConfig, overrides: list[str] | None = None, tags: list[str] | None = None
) -> dict[str, Any]:
    """Run one job into `cfg.paths.output_dir` and return its metrics.

    The status file records success or failure (with the traceback); the exception is
    re-raised so the caller decides whether a failure ends the process or only this job.
    """
    job_dir = Path(cfg.paths.output_dir)
    job_dir.mkdir(parents=True, exist_ok=True)
    resolved = redact(OmegaConf.to_container(cfg, resolve=True))
    finished = completed_metrics(job_dir, resolved)
    if finished is not None:
        log.info("job %s already completed with this config; skipping it", job_dir)
        return finished
    record = JobRecord(job_dir, overrides or [])
    record.running()
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


def completed_metrics(job_dir: Path, resolved: dict[str, Any]) -> dict[str, Any] | None:
    """Metrics of a job that already completed in this folder with the same config.

    This is what lets a rerun of a half-finished sweep (same `hydra.sweep.dir`) skip the
    jobs that completed and redo only the failed or interrupted ones.
    """
    if read_status(job_dir).get("status") != "completed":
        return None
    config_path, metrics_path = job_dir / CONFIG_FILE, job_dir / METRICS_FILE
    if not (config_path.is_file() and metrics_path.is_file()):
        return None
    if yaml.safe_load(config_path.read_text()) != json.loads(json.dumps(resolved, default=str)):
        return None
    return dict(json.loads(metrics_path.read_text()))


def _run_stages(cfg: DictConfig, job_dir: Path, loggers: list) -> dict[str, Any]:
    store = ArtifactStore(cfg.paths.cache_dir)
    taxonomy = load_taxonomy(cfg.taxonomy)
    metrics: dict[str, Any] = {}

    seed = seed_stage(cfg.data, taxonomy, cfg.paths.data_dir, cfg.seed, store)
    metrics["data"] = seed.summary

    keywords, keywords_key = None, ""
    if cfg.gen.strategy == "shap":
        explained = _explain(cfg, seed, taxonomy, store, job_dir)
        keywords, keywords_key = explained.keywords, explained.key
        metrics["explain"] = {"artifact": str(explained.path)}

    if cfg.dry_run:
        metrics["dry_run"] = dry_run_stage(cfg, seed, keywords, taxonomy, store, job_dir)
        write_json(job_dir / METRICS_FILE, metrics)
        return metrics

    generated = generate_stage(
        cfg.gen, cfg.llm, seed, keywords, keywords_key, taxonomy, cfg.data.language, store
    )
    filtered = filter_stage(cfg.filter, cfg.llm, generated, seed, taxonomy, store, job_dir)
    if cfg.gen.strategy != "none":
        metrics["generation"] = generated.stats
        metrics["filter"] = filtered.report
        export_rows(job_dir / "synthetic_kept.jsonl", filtered.kept)
        export_rows(job_dir / "synthetic_rejected.jsonl", filtered.rejected)

    synthetic_train, synthetic_test = holdout(filtered.kept, cfg.eval.synthetic_holdout, cfg.seed)
    train_rows = training_rows(cfg.regime, seed.train, synthetic_train)
    trained = train_stage(
        train_rows,
        seed.validation,
        [seed.key, filtered.key] if cfg.regime != "real" else [seed.key],
        taxonomy,
        cfg.model,
        cfg.trainer,
        context_window=cfg.data.context_window,
        seed=cfg.seed,
        loggers=loggers,
        job_dir=job_dir,
        store=store,
    )
    metrics["train"] = {
        "rows": len(train_rows),
        "reused": trained.reused,
        "key": trained.key,
        **trained.classifier.training,
    }

    metrics.update(_evaluate(cfg, trained.classifier, seed, taxonomy, job_dir))
    if len(synthetic_test):
        probs = trained.classifier.predict_proba(synthetic_test)
        metrics["synthetic_test"] = multilabel_metrics(
            probs, targets_of(synthetic_test), list(taxonomy.labels)
        )
        _save_predictions(job_dir, "synthetic_test", probs, synthetic_test, taxonomy)
    if len(filtered.kept) and cfg.eval.analysis.enabled:
        judge = None
        if cfg.eval.analysis.judge_samples > 0:
            judge = build_backend(cfg.llm, response_cache_path(store))
        metrics["analysis"] = analyze(seed.train, filtered.kept, cfg.eval.analysis, judge)

    write_json(job_dir / METRICS_FILE, metrics)
    write_summary(job_dir, cfg, metrics)
    log_final_metrics(loggers, _flat_scalars(metrics["test"], prefix="test/"))
    return metrics


def _explain(
    cfg: DictConfig, seed: SeedData, taxonomy: Taxonomy, store: ArtifactStore, job_dir: Path
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


def _save_predictions(
    job_dir: Path,
    name: str,
    probs: np.ndarray,
    rows: datasets.Dataset,
    taxonomy: Taxonomy,
    thresholds: np.ndarray | None = None,
) -> None:
    """predictions/<name>.npz: what the report's per-example paired tests read."""
    ids = rows.with_format("arrow")["id"].to_pylist()
    save_predictions(job_dir, name, probs, targets_of(rows), ids, list(taxonomy.labels), thresholds)


def _evaluate(
    cfg: DictConfig, classifier: Classifier, seed: SeedData, taxonomy: Taxonomy, job_dir: Path
) -> dict[str, Any]:
    """In-domain test metrics (thresholds tuned on validation) and zero-shot sets."""
    labels = list(taxonomy.labels)
    out: dict[str, Any] = {}
    thresholds = None
    if cfg.eval.tune_thresholds:
        val_probs = classifier.predict_proba(seed.validation)
        thresholds = tune_thresholds(val_probs, targets_of(seed.validation))
        out["thresholds"] = dict(zip(labels, np.asarray(thresholds).tolist(), strict=True))
    test_probs = classifier.predict_proba(seed.test)
    out["test"] = multilabel_metrics(test_probs, targets_of(seed.test), labels, thresholds)
    _save_predictions(job_dir, "test", test_probs, seed.test, taxonomy, thresholds)
    if cfg.eval.zero_shot:
        out["zero_shot"] = evaluate_zero_shot(
            classifier, cfg.eval, cfg.paths.data_dir, taxonomy, thresholds,
            predictions_dir=job_dir,
        )  # fmt: skip
    return out


def export_rows(path: Path, rows: datasets.Dataset) -> None:
    """One JSON object per line, provenance included: what a reader inspects by hand."""
    rows.to_json(str(path), lines=True, force_ascii=False)


def _flat_scalars(values: dict[str, Any], prefix: str) -> dict[str, float]:
    return {
        f"{prefix}{k}": float(v)
        for k, v in values.items()
        if isinstance(v, int | float) and not isinstance(v, bool)
    }
