"""Runs of a W&B project, or the offline W&B runs of a sweep folder, as a report table.

`collect_wandb` needs network and a W&B login; every failure to reach W&B becomes one
ReportError that says what was asked for and why it failed. `collect_wandb_offline` reads the
`wandb/offline-run-*/run-*.wandb` logs a sweep wrote, on a machine that has never logged in,
into the same table the folder report builds from the jobs' own files.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from emoexp.report.collect import (
    ReportError,
    _config_value,
    _job_sort_key,
    flatten,
    jobs_frame,
    parse_override,
    skipped_sets,
)
from emoexp.tracking.wandb_offline import (
    OfflineRun,
    OfflineRunError,
    find_run_logs,
    read_offline_run,
)
from emoexp.tracking.wandb_run import ERROR_KEY, METRICS_SECTIONS, OVERRIDES_KEY

# config sub-trees that differ per job without being a swept choice
IGNORED_CONFIG = ("paths.", "hydra.", "experiment_info.", "logger.")
STATES = {"finished": "completed", "failed": "failed", "crashed": "failed", "running": "running"}


def parse_spec(spec: str) -> tuple[str, str | None]:
    """`entity/project[:group]` -> ("entity/project", group or None)."""
    project, _, group = spec.partition(":")
    if project.count("/") != 1 or not all(project.split("/")):
        raise ReportError(f"--wandb wants ENTITY/PROJECT[:GROUP]; got {spec!r}")
    return project, group or None


def _flat_config(config: Mapping[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, Mapping):
            for sub, sub_value in _flat_config(value).items():
                flat[f"{key}.{sub}"] = sub_value
        elif not isinstance(value, list):
            flat[key] = value
    return flat


def collect_wandb(spec: str) -> pd.DataFrame:
    project, group = parse_spec(spec)
    try:
        import wandb

        api = wandb.Api(timeout=30)
        runs = list(api.runs(project, filters={"group": group} if group else None))
    except Exception as error:  # the W&B client raises many types for "cannot reach it"
        raise ReportError(
            f"could not read W&B runs of {spec!r} ({type(error).__name__}: {error}); "
            "this needs network access and `wandb login` (or WANDB_API_KEY)"
        ) from error
    if not runs:
        raise ReportError(
            f"W&B project {project!r} has no runs" + (f" in group {group!r}" if group else "")
        )
    configs = [
        {k: v for k, v in _flat_config(run.config).items() if not k.startswith(IGNORED_CONFIG)}
        for run in runs
    ]
    keys = sorted({key for config in configs for key in config})
    varying = [
        key
        for key in keys
        if len({repr(config.get(key)) for config in configs}) > 1 or key == "seed"
    ]
    rows = []
    for run in runs:
        summary = {
            k.replace("/", "."): v for k, v in dict(run.summary).items() if not k.startswith("_")
        }
        rows.append(
            {
                "job": f"{run.name} ({run.id})",
                "job_num": None,
                "status": STATES.get(run.state, run.state),
                "error": str(summary.get("error", "")),
                "duration_s": summary.get("_runtime"),
                "started": str(getattr(run, "created_at", "")),
                "zero_shot_skipped": "",
                **flatten(summary),
            }
        )
    overrides = [{key: config.get(key) for key in varying} for config in configs]
    return jobs_frame(rows, overrides, f"wandb:{spec}")


def read_offline_runs(path: str | Path) -> list[tuple[Path, OfflineRun]]:
    """(job folder, latest offline run of that job) for every job under `path`, in job order."""
    root = Path(path).expanduser().resolve()
    if not root.exists():
        raise ReportError(f"{root} does not exist; give a sweep, job or wandb folder")
    latest: dict[Path, OfflineRun] = {}
    for log_file in find_run_logs(root):
        try:
            run = read_offline_run(log_file)
        except OfflineRunError as error:
            raise ReportError(str(error)) from error
        # run-*.wandb -> offline-run-* -> wandb -> job folder; a rerun's newer run wins
        latest[log_file.parent.parent.parent] = run
    if not latest:
        raise ReportError(
            f"no offline W&B runs under {root} (looked for wandb/offline-run-*/run-*.wandb); "
            "run the sweep with logger=wandb"
        )

    def order(job_dir: Path) -> tuple[tuple[int, int, str], ...]:
        parts = job_dir.relative_to(root).parts if job_dir.is_relative_to(root) else ()
        return tuple(_job_sort_key(Path(part)) for part in parts)

    return [(job_dir, latest[job_dir]) for job_dir in sorted(latest, key=order)]


def run_metrics(run: OfflineRun) -> dict[str, Any]:
    """The metrics.json sections of a run's summary (not Lightning's per-step values)."""
    sections = run.summary.get(METRICS_SECTIONS)
    if not isinstance(sections, list):  # a run logged before the sections were recorded
        sections = [k for k in run.summary if not k.startswith("_") and "/" not in k]
    return {key: _sorted(run.summary[key]) for key in sorted(sections) if key in run.summary}


def _sorted(value: Any) -> Any:
    """Keys in sorted order, as metrics.json writes them (W&B keeps insertion order)."""
    if isinstance(value, Mapping):
        return {key: _sorted(value[key]) for key in sorted(value)}
    return value


def collect_wandb_offline(path: str | Path) -> pd.DataFrame:
    """One row per job from its offline W&B run: the table `collect_jobs` builds from files.

    `duration_s` and `started` are W&B's (the run's runtime and start), a second or so from
    the job's own clock in status.json.
    """
    root = Path(path).expanduser().resolve()
    found = read_offline_runs(root)
    rows, overrides = [], []
    for job_dir, run in found:
        metrics = run_metrics(run)
        rows.append(
            {
                "job": job_dir.relative_to(root).as_posix()
                if job_dir != root and job_dir.is_relative_to(root)
                else job_dir.name,
                "job_num": int(job_dir.name) if job_dir.name.isdigit() else None,
                "status": STATES.get(run.state, run.state),
                "error": str(run.summary.get(ERROR_KEY) or ""),
                "duration_s": run.runtime_s,
                "started": run.start_time,
                "zero_shot_skipped": skipped_sets(metrics),
                **flatten(metrics),
            }
        )
        texts = run.config.get(OVERRIDES_KEY) or []
        overrides.append(dict(parse_override(str(text)) for text in texts))
    keys = sorted({key for job in overrides for key in job})
    if "seed" not in keys:
        keys.append("seed")
    for (_, run), job in zip(found, overrides, strict=True):
        for key in keys:
            if key not in job:
                job[key] = _config_value(run.config, key)
    return jobs_frame(rows, overrides, f"offline W&B runs in {root}")
