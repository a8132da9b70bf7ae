"""Each paper protocol's CPU size runs end to end as a Hydra multirun and leaves its report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.configs import compose_config
from omegaconf import OmegaConf

from emoexp.config.schema import register_configs
from emoexp.paths import CONF_DIR, PROJECT_DIR

register_configs()

CPU_EXPERIMENTS = sorted(p.stem for p in (CONF_DIR / "experiment").glob("*_cpu.yaml"))
# Experiments run at their whole CPU size (every synthetic arm keeps about 100 rows, so the
# report is a real, if small, test of the protocol), named in EMOEXP_WHOLE_EXPERIMENTS
# (comma-separated). By default every protocol runs at smoke size: every arm and stage end to
# end on a few generated rows, which keeps the slow suite well within CI's time.
WHOLE = {name for name in os.environ.get("EMOEXP_WHOLE_EXPERIMENTS", "").split(",") if name}
# One training epoch at smoke size: every stage still runs and is checked end to end, and
# the several passes the whole size needs to move past label frequencies are what cost CI.
SMOKE = {
    "shap_vs_naive_cpu": [
        "gen.samples_per_label=3",
        "explain.partition.texts_per_class=2",
        "trainer.max_epochs=1",
    ],
    "erc_supplement_cpu": ["gen.samples_per_label=2", "trainer.max_epochs=1"],
    "filter_sensitivity_cpu": ["gen.samples_per_label=3", "trainer.max_epochs=1"],
    "persona_ablation_cpu": [
        "gen.samples_per_label=1",
        "eval.analysis.judge_samples=5",
        "trainer.max_epochs=1",
    ],
    "multilingual_scale_cpu": [
        "gen.samples_per_label=1",
        "trainer.max_epochs=1",
        "data.seed_size=4",
        "data.max_eval_rows=60",
        "eval.zero_shot_max_rows=60",
    ],
}
# "at least about 100 kept rows per arm": 10 % of them are held out as the synthetic test
MIN_KEPT_ROWS = 90


def test_every_protocol_has_a_cpu_size() -> None:
    full = {p.stem for p in (CONF_DIR / "experiment").glob("*.yaml")} - set(CPU_EXPERIMENTS)
    assert full == {name.removesuffix("_cpu") for name in CPU_EXPERIMENTS}
    assert len(full) == 5


def sweep_size(experiment: str) -> int:
    cfg = compose_config([f"experiment={experiment}"], with_hydra=True)
    size = 1
    for values in cfg.hydra.sweeper.params.values():
        size *= len(split_sweep(str(values)))
    return size


def split_sweep(values: str) -> list[str]:
    """Split a sweep like `a,b` or `[x],[x,y]` at its top-level commas."""
    parts, depth, current = [], 0, ""
    for char in values:
        depth += char == "["
        depth -= char == "]"
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


@pytest.mark.parametrize("experiment", CPU_EXPERIMENTS)
def test_cpu_size_is_a_small_sweep(experiment: str) -> None:
    assert 2 <= sweep_size(experiment) <= 12
    assert sweep_size(experiment.removesuffix("_cpu")) > sweep_size(experiment)


@pytest.mark.slow
@pytest.mark.parametrize("experiment", CPU_EXPERIMENTS)
def test_cpu_size_runs_end_to_end(
    experiment: str, tmp_path: Path, data_dir: Path, shared_cache: Path
) -> None:
    sweep = tmp_path / "sweep"
    env = {
        **os.environ,
        "EMOEXP_DATA_DIR": str(data_dir),
        "EMOEXP_CACHE_DIR": str(shared_cache),
        "WANDB_MODE": "offline",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "emoexp",
            "-m",
            f"experiment={experiment}",
            "logger=none",
            f"hydra.sweep.dir={sweep}",
            *([] if experiment in WHOLE else SMOKE.get(experiment, [])),
        ],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    statuses = [json.loads(p.read_text()) for p in sweep.glob("*/status.json")]
    assert statuses and all(s["status"] == "completed" for s in statuses), [
        s.get("error") for s in statuses
    ]
    report = (sweep / "report.md").read_text()
    assert "test.ap_micro" in report or "zero_shot" in report
    if experiment in WHOLE:
        kept = kept_rows_per_job(sweep)
        assert kept and all(rows >= MIN_KEPT_ROWS for rows in kept.values()), kept


def kept_rows_per_job(sweep: Path) -> dict[str, int]:
    """Synthetic rows the filters kept, per job that generated any."""
    kept = {}
    for path in sorted(sweep.glob("*/metrics.json")):
        metrics = json.loads(path.read_text())
        if "filter" in metrics:
            kept[path.parent.name] = int(metrics["filter"]["kept_rows"])
    return kept


def test_filter_sensitivity_filters_the_naive_generation_of_shap_vs_naive() -> None:
    """One generation for both CPU protocols: the second finds it in the cache."""
    shap = compose_config(["experiment=shap_vs_naive_cpu", "arm=naive"], with_hydra=True)
    sensitivity = compose_config(["experiment=filter_sensitivity_cpu"], with_hydra=True)
    assert str(shap.hydra.sweeper.params.seed) == str(sensitivity.hydra.sweeper.params.seed)
    nodes = ["data", "gen", "llm", "taxonomy"]
    assert OmegaConf.to_container(OmegaConf.masked_copy(shap, nodes)) == OmegaConf.to_container(
        OmegaConf.masked_copy(sensitivity, nodes)
    )


def test_whole_and_smoke_sizes_name_real_experiments() -> None:
    assert set(SMOKE) | WHOLE <= set(CPU_EXPERIMENTS)


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One artifact and response cache for the protocols, as a user's machine would have."""
    return tmp_path_factory.mktemp("emoexp-cache")
