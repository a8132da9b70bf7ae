"""What one job tells its user: a generation missing samples fails the job with the count and
the reason; the run folder holds every rejection with its stage; skipped data rows are
summarised on the console and in summary.md."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest
from helpers.configs import job_config
from helpers.loopback_server import Faults, LoopbackServer
from omegaconf import DictConfig

from emoexp.config.schema import register_configs
from emoexp.generation.completeness import IncompleteGenerationError
from emoexp.pipeline import run

register_configs()

SMALL = ["debug=fast", "data.max_train_rows=80", "data.max_eval_rows=60", "llm=compatible",
         "llm.max_retries=0", "llm.progress=false", "gen.samples_per_label=3"]  # fmt: skip


def goemotions_with_bad_rows(parent: Path, data_dir: Path) -> Path:
    """The first rows of the real release files, and two bad rows at the end of train."""
    folder = parent / "goemotions"
    folder.mkdir(parents=True)
    shutil.copy(data_dir / "goemotions" / "emotions.txt", folder)
    for name in ("train.tsv", "dev.tsv", "test.tsv"):
        lines = (data_dir / "goemotions" / name).read_text(encoding="utf-8").splitlines()
        (folder / name).write_text("\n".join(lines[:300]) + "\n", encoding="utf-8")
    with (folder / "train.tsv").open("a", encoding="utf-8") as handle:
        handle.write("a label id out of range\t99\tbadA\n\t3\tbadB\n")
    return parent


def job(tmp_path: Path, data_dir: Path, url: str, overrides: list[str]) -> DictConfig:
    return job_config(
        [*SMALL, f"llm.base_url=[{url}]", *overrides],
        job_dir=tmp_path / "job",
        cache_dir=tmp_path / "cache",
        data_dir=data_dir,
    )


def test_missing_samples_fail_the_job_naming_how_many_and_why(
    tmp_path: Path, data_dir: Path
) -> None:
    data = goemotions_with_bad_rows(tmp_path / "data", data_dir)
    expected = r"of 33 planned samples.*HTTP 50"
    with (
        LoopbackServer(Faults(p_5xx=0.3, seed=1)) as server,
        pytest.raises(IncompleteGenerationError, match=expected),
    ):
        run(job(tmp_path, data, server.base_url, []))
    status = json.loads((tmp_path / "job" / "status.json").read_text())
    assert status["status"] == "failed" and "generation incomplete" in status["error"]


@pytest.mark.slow
def test_run_folder_holds_every_rejection_and_the_skipped_rows(
    tmp_path: Path, data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = goemotions_with_bad_rows(tmp_path / "data", data_dir)
    with LoopbackServer(Faults(p_5xx=0.3, seed=1)) as server, caplog.at_level(logging.WARNING):
        metrics = run(
            job(tmp_path, data, server.base_url,
                ["gen.max_missing_fraction=0.9", "filter=strict"])
        )  # fmt: skip
    generation = metrics["generation"]
    assert generation["missing"] > 0 and generation["planned"] == 33
    lines = [
        json.loads(line)
        for line in (tmp_path / "job" / "synthetic_rejected.jsonl").read_text().splitlines()
    ]
    by_stage = {
        stage: [r for r in lines if r["rejected_at"] == stage] for stage in ("generate", "filter")
    }
    assert len(by_stage["generate"]) == generation["rejected"] > 0
    assert all("llm_error" in r["reason"] for r in by_stage["generate"])
    assert len(by_stage["filter"]) == metrics["filter"]["rejected_rows"] > 0
    assert all(r["reason"] for r in by_stage["filter"])

    summary = (tmp_path / "job" / "summary.md").read_text()
    assert "2 malformed row(s) skipped" in summary
    assert f"{generation['missing']} of 33 planned samples missing" in summary
    assert "2 malformed row(s) skipped" in caplog.text
