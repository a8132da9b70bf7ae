"""A conversation benchmark run end to end (tiny model, fake LLM): its in-domain figures
include the single-label ones its papers report."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.configs import job_config

from emoexp.config.schema import register_configs
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
    cfg = job_config(
        overrides, job_dir=tmp_path / "job", cache_dir=tmp_path / "cache", data_dir=data_dir
    )
    single = run(cfg)["test"]["single_label"]
    assert single["n"] == 80
    for name in ("accuracy", "f1_weighted", "f1_macro", "f1_micro_no_neutral"):
        assert 0.0 <= single[name] <= 1.0, name
