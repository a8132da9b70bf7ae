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
import yaml
from omegaconf import DictConfig, OmegaConf

from emoexp.cache.artifacts import ArtifactStore
from emoexp.config.schema import Config
from emoexp.data.sampling import matched_real_rows
from emoexp.data.taxonomy import load_taxonomy
from emoexp.preflight import check_job
from emoexp.stages.analyze import analyze_stage
from emoexp.stages.dry_run import dry_run_stage
from emoexp.stages.evaluate import evaluate_stage
from emoexp.stages.explain import explain_seed_set, explain_summary
from emoexp.stages.filter import filter_stage
from emoexp.stages.generate import generate_stage
from emoexp.stages.seed import seed_stage
from emoexp.stages.train import train_stage
from emoexp.tracking.job_record import (
    CONFIG_FILE,
    METRICS_FILE,
    JobRecord,
    read_status,
    write_json,
)
from emoexp.tracking.loggers import build_loggers, finish_loggers
from emoexp.tracking.redact import guard_secrets, redact
from emoexp.tracking.rejections import REJECTIONS_FILE, export_rejections
from emoexp.tracking.summary import write_summary
from emoexp.tracking.wandb_run import Lineage, log_job, run_config, run_group, run_job_type

log = logging.getLogger(__name__)

REGIMES = ("real", "synthetic", "real+synthetic", "real+real_extra")


def training_rows(
    regime: str,
    real: datasets.Dataset,
    synthetic: datasets.Dataset,
    extra_real: datasets.Dataset | None = None,
) -> datasets.Dataset:
    """The rows the classifier trains on; `real+real_extra` swaps the synthetic rows for as
    many real ones from outside the seed set (`extra_real`)."""
    if regime == "real+real_extra":
        if extra_real is None:
            raise ValueError("regime=real+real_extra needs the extra real rows")
        return datasets.concatenate_datasets([real, extra_real]) if len(extra_real) else real
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
    guard_secrets(cfg.llm.api_key_env, overrides or [])
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
    try:
        # bad values, or a checkpoint or corpus this machine cannot load, fail before any stage
        check_job(cfg)
        # the one conversion: every stage below gets typed dataclasses, not Hydra nodes
        typed: Config = OmegaConf.to_object(cfg)  # type: ignore[assignment]
    except Exception as error:
        record.failed(error)
        raise
    loggers = build_loggers(
        typed.logger, job_dir, run_config(resolved, overrides or []), tags or [],
        run_name=job_dir.name, group=run_group(typed.logger, typed.task_name, job_dir),
        job_type=run_job_type(typed.logger, typed.gen.strategy),
    )  # fmt: skip
    failure: BaseException | None = None
    try:
        metrics = _run_stages(typed, job_dir, loggers)
    except BaseException as error:
        failure = error
        record.failed(error)
        raise
    finally:
        finish_loggers(loggers, failed=failure is not None, error=failure)
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


def _run_stages(cfg: Config, job_dir: Path, loggers: list) -> dict[str, Any]:
    store = ArtifactStore(cfg.paths.cache_dir)
    taxonomy = load_taxonomy(cfg.taxonomy)
    metrics: dict[str, Any] = {}

    seed = seed_stage(cfg.data, taxonomy, cfg.paths.data_dir, cfg.seed, store)
    metrics["data"] = seed.summary

    keywords, keywords_key = None, ""
    if cfg.gen.strategy == "shap":
        explained = explain_seed_set(cfg, seed, taxonomy, store, job_dir)
        keywords, keywords_key = explained.keywords, explained.key
        metrics["explain"] = explain_summary(explained)

    if cfg.dry_run:
        metrics["dry_run"] = dry_run_stage(cfg, seed, keywords, taxonomy, store, job_dir)
        write_json(job_dir / METRICS_FILE, metrics)
        log_job(loggers, cfg.logger, metrics)
        return metrics

    generated = generate_stage(
        cfg.gen, cfg.llm, seed, keywords, keywords_key, taxonomy, cfg.data.language, store
    )
    filtered = filter_stage(cfg.filter, cfg.llm, generated, seed, taxonomy, store, job_dir)
    if cfg.gen.strategy != "none":
        metrics["generation"] = generated.stats
        metrics["filter"] = filtered.report
        export_rows(job_dir / "synthetic_kept.jsonl", filtered.kept)
        export_rejections(job_dir / REJECTIONS_FILE, generated.rejected, filtered.rejected)

    synthetic_train, synthetic_test = holdout(filtered.kept, cfg.eval.synthetic_holdout, cfg.seed)
    extra_real = None
    if cfg.regime == "real+real_extra":
        if seed.reserve is None:
            raise ValueError("regime=real+real_extra needs the seed stage's reserve rows")
        extra_real = matched_real_rows(seed.reserve, synthetic_train, taxonomy, cfg.seed)
    train_rows = training_rows(cfg.regime, seed.train, synthetic_train, extra_real)
    trained = train_stage(
        train_rows,
        seed.validation,
        # the regime is part of the key: the same rows feed different training sets
        [seed.key, filtered.key, cfg.regime] if cfg.regime != "real" else [seed.key],
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
    if extra_real is not None:
        metrics["train"]["extra_real_rows"] = len(extra_real)

    metrics.update(evaluate_stage(cfg, trained.classifier, seed, synthetic_test, taxonomy, job_dir))
    analysis = analyze_stage(cfg, seed.train, filtered.kept, store)
    if analysis is not None:
        metrics["analysis"] = analysis

    write_json(job_dir / METRICS_FILE, metrics)
    write_summary(job_dir, cfg, metrics)
    synthetic_files = [job_dir / "synthetic_kept.jsonl", job_dir / "synthetic_rejected.jsonl"]
    log_job(
        loggers, cfg.logger, metrics,
        synthetic={
            "kept": filtered.kept, "rejected:filter": filtered.rejected,
            "rejected:generation": generated.rejected,
        } if cfg.gen.strategy != "none" else None,
        lineage=Lineage(
            seed_key=seed.key, seed_dir=store.path("seed", seed.key),
            model_key=trained.key, model_dir=store.path("train", trained.key),
            synthetic_key=filtered.key if cfg.gen.strategy != "none" else "",
            synthetic_files=[p for p in synthetic_files if p.is_file()],
            model_inputs=[seed.key, filtered.key] if cfg.regime != "real" else [seed.key],
        ),
        seed=cfg.seed,
    )  # fmt: skip
    return metrics


def export_rows(path: Path, rows: datasets.Dataset) -> None:
    """One JSON object per line, provenance included: what a reader inspects by hand."""
    rows.to_json(str(path), lines=True, force_ascii=False)
