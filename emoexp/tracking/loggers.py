"""Lightning loggers for one job: W&B (offline unless asked), CSV, or none.

Each job gets its own W&B run, named after the job folder, tagged with the chosen config
options and grouped with the other jobs of its sweep (see `wandb_run`), and the run is
finished even when the job fails so multirun jobs never merge.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pytorch_lightning.loggers import CSVLogger, Logger, WandbLogger

from emoexp.tracking.config import LoggerConfig
from emoexp.tracking.redact import redact
from emoexp.tracking.wandb_run import ERROR_KEY


def build_loggers(
    cfg: LoggerConfig,
    job_dir: Path,
    run_config: dict[str, Any],
    tags: list[str],
    run_name: str,
    group: str = "",
    job_type: str = "",
) -> list[Logger]:
    if cfg.kind == "none":
        return []
    if cfg.kind == "csv":
        return [CSVLogger(save_dir=str(job_dir), name="csv", version="")]
    if cfg.kind == "wandb":
        os.environ.setdefault("WANDB_SILENT", "true")
        logger = WandbLogger(
            project=cfg.project,
            entity=cfg.entity or None,
            group=group or cfg.group or None,
            job_type=job_type or cfg.job_type or None,
            name=run_name,
            save_dir=str(job_dir),
            mode=cfg.mode,
            tags=sorted({*cfg.tags, *tags}),
            config=run_config,
            reinit="finish_previous",
        )
        # start the run now, not at the first training step: a job that fails before
        # training still gets a run that records the failure
        _ = logger.experiment
        return [logger]
    raise ValueError(f"logger.kind must be one of wandb, csv, none; got {cfg.kind!r}")


def finish_loggers(loggers: list[Logger], failed: bool, error: BaseException | None = None) -> None:
    """Close every run: W&B's run is marked failed, with the error, when the job failed."""
    for logger in loggers:
        if isinstance(logger, WandbLogger):
            # this logger's own run, not `wandb.run`: the global may point elsewhere
            run = logger.experiment
            if error is not None:
                run.summary[ERROR_KEY] = redact(f"{type(error).__name__}: {error}")
            run.finish(exit_code=1 if failed else 0)
        else:
            logger.finalize("failed" if failed else "success")
