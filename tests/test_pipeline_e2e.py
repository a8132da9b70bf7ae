"""The whole chain on real GoEmotions rows with the tiny model: what `python -m emoexp` does."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.configs import FAST
from omegaconf import DictConfig, open_dict

from emoexp.config.schema import register_configs
from emoexp.evaluation.predictions import load_predictions
from emoexp.paths import PROJECT_DIR
from emoexp.pipeline import run

register_configs()


def test_run_writes_config_status_metrics_and_summary(tmp_path: Path, cfg: DictConfig) -> None:
    metrics = run(cfg)
    job = tmp_path / "job"
    status = json.loads((job / "status.json").read_text())
    assert status["status"] == "completed"
    stored = json.loads((job / "metrics.json").read_text())
    for name in ("ap_micro", "ap_macro", "lrap", "auroc_micro", "f1_micro@0.5"):
        assert 0.0 <= stored["test"][name] <= 1.0, name
    assert stored["test"] == metrics["test"]
    assert stored["data"]["rows"]["train"] == 120
    assert (job / "config.yaml").is_file() and (job / "summary.md").is_file()
    # the test predictions the report's per-example tests read, in test order
    saved = load_predictions(job / "predictions" / "test.npz")
    assert saved.probs.shape == (80, len(saved.labels)) and saved.thresholds is not None
    assert saved.gold.sum(axis=0).tolist() == [
        stored["test"]["per_class"][label]["support"] for label in saved.labels
    ]


def test_identical_rerun_reuses_every_artifact(
    tmp_path: Path, compose_job: Callable[..., DictConfig]
) -> None:
    first = run(compose_job())
    (tmp_path / "job" / "status.json").unlink()  # force the stages to run again
    second = run(compose_job())
    assert first["train"]["reused"] is False and second["train"]["reused"] is True
    assert second["test"]["ap_micro"] == pytest.approx(first["test"]["ap_micro"])


def test_completed_job_is_skipped_and_failed_one_records_traceback(
    tmp_path: Path, compose_job: Callable[..., DictConfig]
) -> None:
    cfg = compose_job()
    run(cfg)
    before = (tmp_path / "job" / "status.json").read_text()
    run(cfg)
    assert (tmp_path / "job" / "status.json").read_text() == before

    broken = compose_job(["data.folder=no_such_corpus"])
    with open_dict(broken):
        broken.paths.output_dir = str(tmp_path / "broken")
    with pytest.raises(Exception, match="no_such_corpus"):
        run(broken)
    status = json.loads((tmp_path / "broken" / "status.json").read_text())
    assert status["status"] == "failed" and "no_such_corpus" in status["traceback"]


def _emoexp(
    args: list[str], cwd: Path, data_dir: Path, cache_dir: Path
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EMOEXP_DATA_DIR": str(data_dir), "EMOEXP_CACHE_DIR": str(cache_dir)}
    return subprocess.run(
        [sys.executable, "-m", "emoexp", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_multirun_gives_each_job_its_folder_and_survives_a_failed_job(
    tmp_path: Path, data_dir: Path
) -> None:
    sweep = tmp_path / "sweep"
    # a corpus folder without its files passes the preflight and fails in the seed stage
    corpora = tmp_path / "corpora"
    (corpora / "empty_corpus").mkdir(parents=True)
    (corpora / "goemotions").symlink_to(data_dir / "goemotions")
    data_dir = corpora
    args = ["-m", *FAST, "seed=1,2", "data.folder=goemotions,empty_corpus",
            f"hydra.sweep.dir={sweep}"]  # fmt: skip
    result = _emoexp(args, PROJECT_DIR, data_dir, tmp_path / "cache")
    statuses = {
        p.parent.name: json.loads(p.read_text())["status"] for p in sweep.glob("*/status.json")
    }
    assert sorted(statuses.values()) == ["completed", "completed", "failed", "failed"]
    # the sweep ran every job, then says which failed and exits non-zero
    assert result.returncode == 1, result.stderr[-3000:]
    output = result.stdout + result.stderr
    assert "sweep finished: 2 of 4 jobs failed" in output
    failed = sorted(name for name, status in statuses.items() if status == "failed")
    for name in failed:
        # each failed job named with its folder and the first line of its error
        assert f"{sweep / name} [failed]: " in output
    assert "empty_corpus" in output

    rerun = _emoexp(args, PROJECT_DIR, data_dir, tmp_path / "cache")
    assert rerun.returncode == 1
    assert (rerun.stdout + rerun.stderr).count("already completed") == 2


def test_cli_rejects_a_mistyped_key_before_doing_any_work(tmp_path: Path, data_dir: Path) -> None:
    result = _emoexp(["trainer.max_epocs=1"], tmp_path, data_dir, tmp_path / "cache")
    assert result.returncode != 0
    assert "max_epocs" in result.stderr


@pytest.mark.slow
def test_training_killed_mid_way_resumes_from_its_last_checkpoint(
    tmp_path: Path, data_dir: Path
) -> None:
    job = tmp_path / "job"
    args = ["debug=fast", "data.max_train_rows=3000", "trainer.max_epochs=4",
            f"hydra.run.dir={job}"]  # fmt: skip
    env = {
        **os.environ,
        "EMOEXP_DATA_DIR": str(data_dir),
        "EMOEXP_CACHE_DIR": str(tmp_path / "cache"),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "emoexp", *args],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    checkpoints = job / "checkpoints"
    deadline = time.monotonic() + 300
    while not list(checkpoints.glob("epoch=*.ckpt")) and process.poll() is None:
        assert time.monotonic() < deadline, "no checkpoint appeared"
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert json.loads((job / "status.json").read_text())["status"] == "running"

    rerun = _emoexp(args, PROJECT_DIR, data_dir, tmp_path / "cache")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    train = json.loads((job / "metrics.json").read_text())["train"]
    assert train["resumed_from"], train
    assert train["start_epoch"] >= 1


def test_synthetic_rows_are_held_out_as_an_in_domain_test_split(
    tmp_path: Path, compose_job: Callable[..., DictConfig]
) -> None:
    cfg = compose_job(["gen.samples_per_label=10", "filter=none", "eval.synthetic_holdout=0.2"])
    metrics = run(cfg)
    assert metrics["generation"]["accepted"] == 110
    assert metrics["synthetic_test"]["n_samples"] == 22
    held_out = load_predictions(tmp_path / "job" / "predictions" / "synthetic_test.npz")
    assert len(held_out.ids) == 22
    assert metrics["train"]["rows"] == 120 + 88


@pytest.mark.slow
def test_each_job_of_a_sweep_gets_its_own_offline_wandb_run(tmp_path: Path, data_dir: Path) -> None:
    sweep = tmp_path / "sweep"
    args = ["-m", "debug=fast", "logger=wandb", "seed=1,2", f"hydra.sweep.dir={sweep}"]
    result = _emoexp(args, PROJECT_DIR, data_dir, tmp_path / "cache")
    assert result.returncode == 0, result.stderr[-3000:]
    runs = sorted(sweep.glob("*/wandb/offline-run-*"))
    assert len(runs) == 2 and runs[0].parent.parent != runs[1].parent.parent
