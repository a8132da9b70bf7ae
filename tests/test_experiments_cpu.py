"""Each paper protocol's CPU size runs end to end as a Hydra multirun and leaves its report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from emoexp.config.schema import register_configs
from emoexp.paths import CONF_DIR, PROJECT_DIR

register_configs()

CPU_EXPERIMENTS = sorted(p.stem for p in (CONF_DIR / "experiment").glob("*_cpu.yaml"))


def test_every_protocol_has_a_cpu_size() -> None:
    full = {p.stem for p in (CONF_DIR / "experiment").glob("*.yaml")} - set(CPU_EXPERIMENTS)
    assert full == {name.removesuffix("_cpu") for name in CPU_EXPERIMENTS}
    assert len(full) == 5


def sweep_size(experiment: str) -> int:
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose(
            config_name="config", overrides=[f"experiment={experiment}"], return_hydra_config=True
        )
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


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One artifact and response cache for the protocols, as a user's machine would have."""
    return tmp_path_factory.mktemp("emoexp-cache")
