"""The arms of a comparison on real GoEmotions rows with the tiny model and the fake LLM:
each arm trains on what it says, and no two arms share a trained classifier."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.configs import job_config
from omegaconf import DictConfig

from emoexp.config.schema import register_configs
from emoexp.pipeline import run

register_configs()

# four end-to-end runs (tiny model, fake LLM): about 40 s on two cores
pytestmark = pytest.mark.slow

FAST = [
    "debug=fast",
    "data.seed_size=10",
    "data.seed_sampling=natural",
    "data.max_eval_rows=60",
    "filter=none",
    "gen.samples_per_label=3",
    "eval.analysis.enabled=false",
]


def compose_arm(tmp_path: Path, data_dir: Path, arm: str) -> DictConfig:
    return job_config(
        [*FAST, f"arm={arm}"],
        job_dir=tmp_path / arm,
        cache_dir=tmp_path / "cache",
        data_dir=data_dir,
    )


@pytest.fixture(scope="module")
def arms(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> dict[str, dict]:
    tmp_path = tmp_path_factory.mktemp("arms")
    names = ("real", "shap", "shap_synthetic_only", "shap_extra_real")
    return {name: run(compose_arm(tmp_path, data_dir, name)) for name in names}


def test_each_arm_trains_on_its_own_rows(arms: dict[str, dict]) -> None:
    seed_rows = arms["real"]["data"]["rows"]["train"]
    assert seed_rows == 110  # natural sampling: seed_size x 11 classes
    synthetic_train = arms["shap"]["train"]["rows"] - seed_rows
    assert synthetic_train > 0
    assert arms["shap_synthetic_only"]["train"]["rows"] == synthetic_train
    assert arms["shap_extra_real"]["train"]["rows"] == seed_rows + synthetic_train
    assert arms["shap_extra_real"]["train"]["extra_real_rows"] == synthetic_train


def test_no_two_arms_share_a_classifier(arms: dict[str, dict]) -> None:
    keys = [metrics["train"]["key"] for metrics in arms.values()]
    assert len(set(keys)) == len(keys)


def test_the_explain_stage_is_reported(arms: dict[str, dict]) -> None:
    explain = arms["shap"]["explain"]
    assert explain["method"] == "surrogate"
    assert explain["explained_model"].startswith("tf-idf")
