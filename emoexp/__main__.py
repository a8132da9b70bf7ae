"""`python -m emoexp [overrides]` and `python -m emoexp -m ...` (a Hydra multirun)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import hydra
from hydra.conf import HydraConf
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from emoexp.config.schema import register_configs
from emoexp.report.sweep_outcome import FAILED_JOBS, FailedJob
from emoexp.tracking.redact import install_log_scrubbing, scrub_files, secret_override_values

log = logging.getLogger("emoexp")

register_configs()


def choice_tags(choices: dict[str, str | None]) -> list[str]:
    """W&B tags from the chosen config options, e.g. `model:minilm`."""
    return [
        f"{group}:{choice}"
        for group, choice in sorted(choices.items())
        if choice and not group.startswith("hydra")
    ]


@hydra.main(version_base="1.3", config_path="../conf", config_name="config")
def main(cfg: DictConfig) -> float | None:
    # imported here so that composing, --help and config errors never wait for torch
    from emoexp.pipeline import run

    hydra_cfg = HydraConfig.get()
    overrides = list(hydra_cfg.overrides.task)
    install_log_scrubbing()
    _scrub_hydra_files(hydra_cfg, overrides)
    try:
        metrics = run(cfg, overrides=overrides, tags=choice_tags(dict(hydra_cfg.runtime.choices)))
    except Exception as error:
        # logged here (secrets masked), not re-raised: Hydra would print the raw overrides.
        # One failed job does not end a sweep; the process exits non-zero at the end.
        job = f"job {hydra_cfg.job.num}" if hydra_cfg.mode == RunMode.MULTIRUN else "the job"
        log.exception("%s failed; %s/status.json holds the traceback", job, cfg.paths.output_dir)
        FAILED_JOBS.append(FailedJob(Path(cfg.paths.output_dir), "failed", str(error)))
        return None
    ap_micro = metrics.get("test", {}).get("ap_micro")
    return float(ap_micro) if ap_micro is not None else None


def _scrub_hydra_files(hydra_cfg: HydraConf, overrides: list[str]) -> None:
    """Mask secrets typed as overrides in what Hydra already wrote (.hydra/, multirun.yaml)."""
    typed = secret_override_values(overrides)
    files = []
    if hydra_cfg.output_subdir:
        saved = Path(hydra_cfg.runtime.output_dir) / hydra_cfg.output_subdir
        files += [saved / name for name in ("config.yaml", "hydra.yaml", "overrides.yaml")]
    if hydra_cfg.mode == RunMode.MULTIRUN:
        files.append(Path(hydra_cfg.sweep.dir) / "multirun.yaml")
    scrub_files(files, typed)


if __name__ == "__main__":
    main()
    if FAILED_JOBS:
        # the sweep ran every job; its closing summary named the failed ones
        sys.exit(1)
