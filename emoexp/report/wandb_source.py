"""Runs of a W&B project as a report table, for sweeps whose job folders are elsewhere.

Needs network and a W&B login; every failure to reach W&B becomes one ReportError that
says what was asked for and why it failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from emoexp.report.collect import ReportError, flatten, jobs_frame

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
