"""The closing summary of a sweep lists each job that did not complete, with its folder and
the first line of its error, and marks the process for a non-zero exit."""

from __future__ import annotations

import json
from pathlib import Path

from omegaconf import OmegaConf

from emoexp.report import sweep_outcome
from emoexp.report.sweep_outcome import SweepOutcome


def write_status(folder: Path, status: dict) -> None:
    folder.mkdir(parents=True)
    (folder / "status.json").write_text(json.dumps(status))


def test_failed_and_interrupted_jobs_are_listed_and_fail_the_process(tmp_path: Path) -> None:
    write_status(tmp_path / "0", {"status": "completed"})
    write_status(tmp_path / "1", {"status": "failed", "error": "ValueError: bad\nsecond line"})
    write_status(tmp_path / "10", {"status": "running"})
    write_status(tmp_path / "2", {"status": "completed"})
    config = OmegaConf.create({"hydra": {"sweep": {"dir": str(tmp_path)}}})
    sweep_outcome.FAILED_JOBS.clear()
    SweepOutcome().on_multirun_end(config)
    failed = list(sweep_outcome.FAILED_JOBS)
    sweep_outcome.FAILED_JOBS.clear()
    assert [job.folder.name for job in failed] == ["1", "10"]
    summary = sweep_outcome.closing_summary(4, failed)
    assert summary.splitlines() == [
        "sweep finished: 2 of 4 jobs failed",
        f"  {tmp_path / '1'} [failed]: ValueError: bad",
        f"  {tmp_path / '10'} [running]: interrupted (no error recorded)",
    ]


def test_a_sweep_without_failures_leaves_the_exit_status_alone(tmp_path: Path) -> None:
    write_status(tmp_path / "0", {"status": "completed"})
    sweep_outcome.FAILED_JOBS.clear()
    SweepOutcome().on_multirun_end(OmegaConf.create({"hydra": {"sweep": {"dir": str(tmp_path)}}}))
    assert sweep_outcome.FAILED_JOBS == []
