"""What one job leaves in its W&B run, so W&B is where the jobs of a sweep are compared.

- identity: `group` is the sweep (experiment name and sweep folder), shared by its jobs;
  `job_type` is the generation strategy; the config carries each of the job's overrides as a
  top-level key (`override/data/seed_size`, dots turned into slashes because W&B reads a dot
  in a config key as nesting) beside the full resolved config and the raw override list;
- numbers: every section of metrics.json, nested, in the run summary (`test.ap_micro`,
  `zero_shot.meld.ap_micro`, `filter.kept_rows`); the training curves are the history that
  Lightning logged while training;
- data: a W&B Table with a random sample of kept and rejected synthetic rows (labels,
  language, provenance, why a row was rejected), and the seed data, the synthetic data and
  the trained model as artifacts whose metadata names the artifacts each was made from.

Offline runs cannot declare inputs (`use_artifact` refuses offline), so offline the lineage
lives in the artifacts' metadata (`inputs`); online the seed and synthetic data are also
declared as the run's inputs.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import datasets
import numpy as np

from emoexp.tracking.config import LoggerConfig

SAMPLES_TABLE = "synthetic_samples"
SAMPLE_COLUMNS = (
    "status", "id", "text", "labels", "language", "strategy", "template", "model",
    "persona", "keywords", "rejected_by", "reason", "provenance",
)  # fmt: skip
# summary key naming the metrics.json sections, so a reader can tell them from the
# per-step values Lightning leaves in the summary (`train/loss`, `epoch`)
METRICS_SECTIONS = "metrics_sections"
OVERRIDE_PREFIX = "override/"
OVERRIDES_KEY = "overrides"
ERROR_KEY = "error"
MULTIRUN_FILE = "multirun.yaml"


def run_group(cfg: LoggerConfig, task_name: str, job_dir: Path) -> str:
    """The configured group, else `<experiment>/<sweep folder>` for a multirun job (Hydra
    writes multirun.yaml into the sweep folder) and `<experiment>/<run folder>` otherwise."""
    if cfg.group:
        return cfg.group
    job_dir = Path(job_dir).resolve()
    folder = job_dir.parent if (job_dir.parent / MULTIRUN_FILE).is_file() else job_dir
    return f"{task_name}/{folder.name}"


def run_job_type(cfg: LoggerConfig, strategy: str) -> str:
    return cfg.job_type or strategy


def override_config_key(key: str) -> str:
    return OVERRIDE_PREFIX + key.replace(".", "/")


def run_config(resolved: Mapping[str, Any], overrides: list[str]) -> dict[str, Any]:
    """The resolved config, the raw overrides and each override as a top-level key."""
    from emoexp.report.collect import parse_override

    config = dict(resolved)
    config[OVERRIDES_KEY] = list(overrides)
    for text in overrides:
        key, value = parse_override(text)
        if not key.startswith("hydra"):
            config[override_config_key(key)] = value
    return config


@dataclass
class Lineage:
    """The artifacts of one job and what each was made from (content keys of the cache)."""

    seed_key: str
    seed_dir: Path
    model_key: str = ""
    model_dir: Path | None = None
    synthetic_key: str = ""
    synthetic_files: list[Path] = field(default_factory=list)
    # the stored artifacts the model was trained on (seed only, or seed and synthetic)
    model_inputs: list[str] = field(default_factory=list)


def _provenance(row: Mapping[str, Any]) -> dict[str, Any]:
    try:
        value = json.loads(row.get("provenance") or "{}")
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _sample_row(status: str, row: Mapping[str, Any]) -> list[Any]:
    provenance = _provenance(row)
    decision = provenance.get("filter_decision") or {}
    persona = provenance.get("persona", "")
    keywords = provenance.get("keywords", "")
    return [
        status,
        row.get("id", ""),
        row.get("text", ""),
        ", ".join(row.get("labels") or []),
        row.get("language", ""),
        provenance.get("strategy", ""),
        provenance.get("template", ""),
        provenance.get("model", ""),
        persona if isinstance(persona, str) else json.dumps(persona, ensure_ascii=False),
        keywords if isinstance(keywords, str) else ", ".join(map(str, keywords)),
        decision.get("rejected_by") or ("generation" if status == "rejected:generation" else ""),
        decision.get("reason") or provenance.get("reason") or "",
        json.dumps(provenance, ensure_ascii=False, sort_keys=True),
    ]


def sample_rows(groups: Mapping[str, datasets.Dataset], limit: int, seed: int) -> list[list[Any]]:
    """Up to `limit` rows drawn at random, shared as evenly as the groups allow."""
    rng = np.random.default_rng(seed)
    sizes = {status: len(rows) for status, rows in groups.items()}
    quota = dict.fromkeys(sizes, 0)
    remaining = max(limit, 0)
    while remaining > 0:
        open_groups = [s for s in sizes if quota[s] < sizes[s]]
        if not open_groups:
            break
        for status in open_groups:
            if remaining == 0:
                break
            quota[status] += 1
            remaining -= 1
    out: list[list[Any]] = []
    for status, rows in groups.items():
        if quota[status] == 0:
            continue
        chosen = sorted(rng.choice(len(rows), size=quota[status], replace=False).tolist())
        out += [_sample_row(status, row) for row in rows.select(chosen)]
    return out


def _json_safe(value: Any) -> Any:
    """W&B stores NaN as null and cannot store numpy scalars: plain JSON values only."""
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _reference(artifact: Any, folder: Path, name: str) -> None:
    artifact.add_reference(Path(folder).resolve().as_uri(), name=name)


def log_artifacts(run: Any, cfg: LoggerConfig, lineage: Lineage) -> None:
    """seed data -> synthetic data -> model, each naming its inputs in its metadata."""
    import wandb

    online = not getattr(run, "offline", True)

    def add_folder(artifact: Any, folder: Path, name: str) -> None:
        if cfg.upload_artifacts:
            artifact.add_dir(str(folder), name=name, policy="immutable")
        else:
            _reference(artifact, folder, name)

    seed_name = f"seed-{lineage.seed_key[:16]}"
    seed = wandb.Artifact(
        seed_name, type="dataset", description="real seed data: train, validation, test splits",
        metadata={"key": lineage.seed_key, "role": "seed", "inputs": []},
    )  # fmt: skip
    add_folder(seed, lineage.seed_dir, "seed")
    if online:
        run.use_artifact(seed)
    else:
        run.log_artifact(seed)
    names = {lineage.seed_key: seed_name}
    if lineage.synthetic_key and lineage.synthetic_files:
        synthetic_name = f"synthetic-{lineage.synthetic_key[:16]}"
        synthetic = wandb.Artifact(
            synthetic_name, type="dataset",
            description="synthetic rows, kept and rejected, with provenance (JSON lines)",
            metadata={"key": lineage.synthetic_key, "role": "synthetic", "inputs": [seed_name]},
        )  # fmt: skip
        for path in lineage.synthetic_files:
            synthetic.add_file(str(path), name=Path(path).name, policy="immutable")
        run.log_artifact(synthetic)
        if online:
            run.use_artifact(synthetic)
        names[lineage.synthetic_key] = synthetic_name
    if lineage.model_key and lineage.model_dir is not None:
        model = wandb.Artifact(
            f"model-{lineage.model_key[:16]}", type="model",
            description="the trained classifier (encoder, head, tokenizer, label list)",
            metadata={
                "key": lineage.model_key, "role": "model",
                "inputs": [names.get(key, key) for key in lineage.model_inputs],
            },
        )  # fmt: skip
        add_folder(model, lineage.model_dir, "model")
        run.log_artifact(model)


def log_job(
    loggers: list[Any],
    cfg: LoggerConfig,
    metrics: Mapping[str, Any],
    synthetic: Mapping[str, datasets.Dataset] | None = None,
    lineage: Lineage | None = None,
    seed: int = 0,
) -> None:
    """Every metrics.json figure, the samples table and the artifacts, into each logger."""
    from pytorch_lightning.loggers import WandbLogger

    for logger in loggers:
        if not isinstance(logger, WandbLogger):
            logger.log_metrics(flat_scalars(metrics))
            logger.save()
            continue
        run = logger.experiment
        run.summary.update({**_json_safe(dict(metrics)), METRICS_SECTIONS: sorted(metrics)})
        if synthetic and cfg.table_rows > 0:
            import wandb

            rows = sample_rows(synthetic, cfg.table_rows, seed)
            run.log({SAMPLES_TABLE: wandb.Table(columns=list(SAMPLE_COLUMNS), data=rows)})
        if lineage is not None and cfg.log_artifacts:
            log_artifacts(run, cfg, lineage)


def flat_scalars(values: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """Numbers of a nested dict under `a/b/c` keys (for loggers without nested values)."""
    flat: dict[str, float] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flat_scalars(value, name + "/"))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            flat[name] = float(value)
    return flat
