"""A conversation benchmark run end to end (tiny model, fake LLM): its in-domain figures
include the single-label ones its papers report."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from omegaconf import DictConfig

from emoexp.config.schema import register_configs
from emoexp.pipeline import run

register_configs()


@pytest.mark.slow
def test_meld_reports_single_label_metrics(compose_job: Callable[..., DictConfig]) -> None:
    cfg = compose_job(["data=meld", "taxonomy=meld", "gen=none", "data.max_train_rows=150"])
    single = run(cfg)["test"]["single_label"]
    assert single["n"] == 80
    for name in ("accuracy", "f1_weighted", "f1_macro", "f1_micro_no_neutral"):
        assert 0.0 <= single[name] <= 1.0, name
