"""W&B as the place where a sweep's jobs are compared: a real 2-job sweep writes offline runs,
the report reads them without a server, and the W&B Report is checked on its specification."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from emoexp.paths import PROJECT_DIR
from emoexp.report.collect import ReportError, collect_jobs, flatten
from emoexp.report.wandb_report import (
    SPEC_FILE,
    ReportPlan,
    build_report,
    panels_of,
    parse_target,
    report_spec,
)
from emoexp.report.wandb_source import collect_wandb_offline, read_offline_runs, run_metrics
from emoexp.tracking.wandb_run import SAMPLE_COLUMNS, SAMPLES_TABLE

SWEEP_ARGS = [
    "-m", "debug=fast", "logger=wandb", "data.max_train_rows=120", "data.max_eval_rows=60",
    "gen.samples_per_label=3", "filter.leakage.enabled=false",
    # the fake LLM names each post's emotion, so its rows rank that label at 0.5-1.0: this
    # threshold keeps most and rejects some, and the samples table must hold both
    "filter.label_consistency.threshold=0.75",
    "eval.zero_shot=[emorynlp,dailydialog]", "eval.zero_shot_max_rows=60",
    "data.seed_size=4,8",
]  # fmt: skip


def _python(args: list[str], env_extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=PROJECT_DIR,
        env={**os.environ, **env_extra},
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    root = tmp_path_factory.mktemp("wandb_sweep")
    folder = root / "sweep"
    env = {"EMOEXP_DATA_DIR": str(data_dir), "EMOEXP_CACHE_DIR": str(root / "cache")}
    done = _python(["-m", "emoexp", *SWEEP_ARGS, f"hydra.sweep.dir={folder}"], env)
    assert done.returncode == 0, done.stderr[-3000:]
    return folder


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-6, abs=1e-9)


@pytest.mark.slow
def test_sweep_runs_share_a_group_and_carry_every_figure(sweep: Path) -> None:
    runs = read_offline_runs(sweep)
    assert [job.name for job, _ in runs] == ["0", "1"]
    assert {run.group for _, run in runs} == {f"default/{sweep.name}"}
    assert len({run.run_id for _, run in runs}) == 2
    for job_dir, run in runs:
        assert run.state == "finished" and run.job_type == "naive"
        on_disk = json.loads((job_dir / "metrics.json").read_text())
        assert run.config["override/data/seed_size"] == int(job_dir.name) * 4 + 4
        expected = {k: v for k, v in flatten(on_disk).items() if not math.isnan(v)}
        logged = flatten(run_metrics(run))
        assert expected.keys() <= logged.keys(), sorted(expected.keys() - logged.keys())[:5]
        assert all(_same(expected[k], logged[k]) for k in expected)
        assert "ap_micro" in run_metrics(run)["zero_shot"]["emorynlp"]
        assert run_metrics(run)["zero_shot"]["dailydialog"]["skipped"]
        assert any("val/ap_micro" in row for row in run.history)  # the training curve


@pytest.mark.slow
def test_sweep_runs_hold_the_samples_table_and_the_artifacts(sweep: Path) -> None:
    for job_dir, run in read_offline_runs(sweep):
        metrics = json.loads((job_dir / "metrics.json").read_text())
        table = run.table(SAMPLES_TABLE)
        assert table["columns"] == list(SAMPLE_COLUMNS)
        statuses = [row[0] for row in table["data"]]
        kept, rejected = metrics["filter"]["kept_rows"], metrics["filter"]["rejected_rows"]
        assert 0 < len(statuses) <= 200
        # the sample holds kept rows whenever the job kept any, and filter rejections
        assert statuses.count("kept") <= kept and (kept == 0 or statuses.count("kept") > 0)
        assert statuses.count("rejected:filter") > 0
        assert statuses.count("rejected:filter") <= rejected
        assert all(row[4] == "en" and row[3] for row in table["data"])  # language, labels
        seed = run.artifact("dataset", "seed-")
        synthetic = run.artifact("dataset", "synthetic-")
        model = run.artifact("model")
        assert synthetic["metadata"]["inputs"] == [seed["name"]]
        assert model["metadata"]["inputs"] == [seed["name"], synthetic["name"]]
        assert model["metadata"]["key"] == metrics["train"]["key"]
        assert {e["path"] for e in synthetic["entries"]} == {
            "synthetic_kept.jsonl",
            "synthetic_rejected.jsonl",
        }


@pytest.mark.slow
def test_offline_comparison_prints_the_folder_reports_table(sweep: Path, tmp_path: Path) -> None:
    folder, offline = collect_jobs(sweep), collect_wandb_offline(sweep)
    clocks = ["duration_s", "started"]  # W&B's runtime and start, not the job's own clock
    assert list(folder.columns) == list(offline.columns)
    pd.testing.assert_frame_equal(folder.drop(columns=clocks), offline.drop(columns=clocks))
    done = _python(
        ["-m", "emoexp.report", str(sweep), "--wandb-offline", "--out", str(tmp_path)], {}
    )
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "report.md").read_text()
    assert "offline W&B runs" in page and "data.seed_size" in page


@pytest.mark.slow
def test_wandb_report_without_network_writes_its_specification(sweep: Path) -> None:
    done = _python(
        ["-m", "emoexp.report", str(sweep), "--wandb-report", "lab/emoexp"],
        {"WANDB_API_KEY": "", "WANDB_MODE": "offline"},
    )
    assert done.returncode == 0, done.stderr
    assert "did not publish" in done.stdout and SPEC_FILE in done.stdout
    spec = json.loads((sweep / SPEC_FILE).read_text())
    assert spec["published"] is False and spec["plan"]["swept"] == ["data.seed_size"]
    per_class = json.loads((sweep / "0" / "metrics.json").read_text())["test"]["per_class"]
    assert spec["plan"]["labels"] == sorted(per_class)  # absent classes (null AP) included
    panels = panels_of(spec)
    kinds = [p["viewType"] for p in panels]
    assert kinds.count("Parallel Coordinates Plot") == 1 and "Weave" in kinds
    scatter = next(p for p in panels if p["viewType"] == "Scatter Plot")
    assert scatter["config"]["xAxis"] == "config:override/data/seed_size.value"
    group = spec["plan"]["groups"][0]
    assert all(p["runSets"][0]["filters"]["filters"][0]["value"] == group for p in panels)


def test_report_spec_has_the_protocol_panels_without_network() -> None:
    plan = ReportPlan(
        entity="lab",
        project="emoexp",
        title="filter sweep",
        groups=["filter_sensitivity/2026-01-01", "filter_sensitivity/2026-01-02"],
        metric="test.ap_micro",
        swept=["filter.label_consistency.threshold", "gen", "seed"],
        thresholds=["filter.label_consistency.threshold"],
        labels=["anger", "joy"],
        hue="gen",
        has_kept_rows=True,
        has_samples=True,
    )
    spec = report_spec(plan, build_report(plan))
    panels = panels_of(spec)
    by_title = {p["config"].get("chartTitle"): p for p in panels}
    threshold = by_title["test.ap_micro vs filter.label_consistency.threshold"]["config"]
    assert threshold["xAxis"] == "config:override/filter/label_consistency/threshold.value"
    assert threshold["yAxis"] == "summary:test.ap_micro"
    kept = by_title["kept synthetic rows vs filter.label_consistency.threshold"]["config"]
    assert kept["yAxis"] == "summary:filter.kept_rows"
    bars = by_title["per-class ap (test)"]["config"]
    assert bars["metrics"] == [
        "summary_metrics.test.per_class.anger.ap",
        "summary_metrics.test.per_class.joy.ap",
    ]
    assert bars["groupBy"] == "override/gen.value"
    seed_size = by_title["test.ap_micro vs seed size"]
    assert seed_size["config"]["xAxis"] == "config:data.value.seed_size"  # not swept: nested
    assert [g["name"] for g in seed_size["runSets"][0]["grouping"]] == [
        "override/gen.value",
        "data.value.seed_size",
    ]
    parallel = by_title["swept keys"]["config"]["columns"]
    assert [c["accessor"] for c in parallel] == [
        "config:override/filter/label_consistency/threshold.value",
        "config:override/gen.value",
        "config:override/seed.value",
        "summary:test.ap_micro",
        "summary:filter.kept_rows",
    ]
    assert any(p["viewType"] == "Weave" for p in panels)
    group_filter = panels[0]["runSets"][0]["filters"]["filters"][0]
    assert group_filter["op"] == "IN" and group_filter["value"] == plan.groups


def test_report_target_must_be_entity_and_project() -> None:
    assert parse_target("lab/emoexp") == ("lab", "emoexp")
    for bad in ("emoexp", "lab/", "a/b/c"):
        with pytest.raises(ReportError, match="ENTITY/PROJECT"):
            parse_target(bad)


def test_offline_comparison_of_a_folder_without_runs_says_why(tmp_path: Path) -> None:
    (tmp_path / "0").mkdir()
    with pytest.raises(ReportError, match="logger=wandb"):
        collect_wandb_offline(tmp_path)
