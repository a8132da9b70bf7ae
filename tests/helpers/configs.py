"""Composing the project's Hydra config in tests, as `python -m emoexp` would."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hydra import compose, initialize_config_dir
from omegaconf import DictConfig, open_dict

from emoexp.config.schema import register_configs
from emoexp.paths import CONF_DIR

# a job in seconds: the tiny model, the in-process fake LLM, a few hundred real rows
FAST = ("debug=fast", "data.max_train_rows=120", "data.max_eval_rows=80")


def compose_config(overrides: Sequence[str] = (), *, with_hydra: bool = False) -> DictConfig:
    """The composed config for these command-line overrides."""
    register_configs()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose(
            config_name="config", overrides=list(overrides), return_hydra_config=with_hydra
        )


def job_config(
    overrides: Sequence[str], *, job_dir: Path, cache_dir: Path, data_dir: Path
) -> DictConfig:
    """A job's config whose output, cache and data folders are the given ones."""
    cfg = compose_config(overrides)
    with open_dict(cfg):
        cfg.paths.output_dir = str(job_dir)
        cfg.paths.cache_dir = str(cache_dir)
        cfg.paths.data_dir = str(data_dir)
    return cfg
