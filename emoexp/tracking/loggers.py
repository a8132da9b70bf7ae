"""Lightning loggers for one job: W&B (offline unless asked), CSV, or none.

Each job gets its own W&B run, named after the job folder and tagged with the chosen config
options, and the run is finished even when the job fails so multirun jobs never merge.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pytorch_lightning.loggers import CSVLogger, Logger, WandbLogger

from emoexp.tracking.config import LoggerConfig


def build_loggers(
    cfg: LoggerConfig,
    job_dir: Path,
    run_config: dict[str, Any],
    tags: list[str],
    run_name: str,
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
            group=cfg.group or None,
            name=run_name,
            save_dir=str(job_dir),
            mode=cfg.mode,
            tags=sorted({*cfg.tags, *tags}),
            config=run_config,
            reinit="finish_previous",
        )
        return [logger]
    raise ValueError(f"logger.kind must be one of wandb, csv, none; got {cfg.kind!r}")


def log_final_metrics(loggers: list[Logger], metrics: dict[str, float]) -> None:
    for logger in loggers:
        logger.log_metrics(metrics)
        if isinstance(logger, WandbLogger):
            logger.experiment.summary.update(metrics)
        logger.save()


def finish_loggers(loggers: list[Logger], failed: bool) -> None:
    """Close every run: W&B's run is marked failed when the job failed."""
    for logger in loggers:
        if isinstance(logger, WandbLogger):
            import wandb

            if wandb.run is not None:
                wandb.finish(exit_code=1 if failed else 0)
        else:
            logger.finalize("failed" if failed else "success")
