"""`python -m emoexp [overrides]` and `python -m emoexp -m ...` (a Hydra multirun)."""

from __future__ import annotations

import logging

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from emoexp.config.schema import register_configs

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
    try:
        metrics = run(cfg, overrides=overrides, tags=choice_tags(dict(hydra_cfg.runtime.choices)))
    except Exception:
        if hydra_cfg.mode == RunMode.MULTIRUN:
            # one failed job must not end the sweep; its status.json holds the traceback
            log.exception("job %s failed", hydra_cfg.job.num)
            return None
        raise
    ap_micro = metrics.get("test", {}).get("ap_micro")
    return float(ap_micro) if ap_micro is not None else None


if __name__ == "__main__":
    main()
