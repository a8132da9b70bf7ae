"""A conversation benchmark run end to end (tiny model, fake LLM): its in-domain figures
include the single-label ones its papers report."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import open_dict

from emoexp.config.schema import register_configs
from emoexp.paths import CONF_DIR
from emoexp.pipeline import run

register_configs()


@pytest.mark.slow
def test_meld_reports_single_label_metrics(tmp_path: Path, data_dir: Path) -> None:
    overrides = [
        "debug=fast",
        "data=meld",
        "taxonomy=meld",
        "gen=none",
        "data.max_train_rows=150",
        "data.max_eval_rows=80",
    ]
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose(config_name="config", overrides=overrides)
    with open_dict(cfg):
        cfg.paths.output_dir = str(tmp_path / "job")
        cfg.paths.cache_dir = str(tmp_path / "cache")
        cfg.paths.data_dir = str(data_dir)
    single = run(cfg)["test"]["single_label"]
    assert single["n"] == 80
    for name in ("accuracy", "f1_weighted", "f1_macro", "f1_micro_no_neutral"):
        assert 0.0 <= single[name] <= 1.0, name
