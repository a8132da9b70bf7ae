"""What a job writes into W&B, read back from the offline `.wandb` log W&B itself wrote."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pytorch_lightning.loggers import WandbLogger

from emoexp.data.schema import Row, rows_to_dataset
from emoexp.report.wandb_source import run_metrics
from emoexp.tracking.config import LoggerConfig
from emoexp.tracking.loggers import build_loggers, finish_loggers
from emoexp.tracking.wandb_offline import (
    BLOCK_SIZE,
    OfflineRunError,
    find_run_logs,
    read_offline_run,
)
from emoexp.tracking.wandb_run import (
    METRICS_SECTIONS,
    SAMPLE_COLUMNS,
    SAMPLES_TABLE,
    Lineage,
    log_job,
    run_config,
    run_group,
    sample_rows,
)

LABELS = ["joy", "anger"]


def synthetic_rows(status: str, n: int) -> Any:
    rows = []
    for i in range(n):
        provenance: dict[str, Any] = {"strategy": "naive", "template": "naive.v1", "model": "m"}
        if status == "rejected:filter":
            provenance["filter_decision"] = {"rejected_by": "leakage", "reason": "names_emotion"}
        rows.append(
            Row(
                id=f"{status}-{i}",
                text=f"{status} text {i}",
                labels=[LABELS[i % 2]],
                multi_hot=[float(i % 2 == 0), float(i % 2 == 1)],
                taxonomy="t",
                language="de" if i % 3 == 0 else "en",
                source="synthetic:naive",
                provenance=provenance,
            )
        )
    return rows_to_dataset(rows)


METRICS = {
    "test": {
        "ap_micro": 0.5,
        "n_samples": 80,
        "absent_classes": ["fear"],
        "per_class": {"joy": {"ap": 0.25}, "fear": {"ap": float("nan")}},
    },
    "zero_shot": {"meld": {"ap_micro": 0.3}, "dailydialog": {"skipped": "not on this machine"}},
    "filter": {"kept_rows": 6, "rejected_rows": 4},
    "generation": {"accepted": 10},
    "analysis": {"realism": {"two_sample_auc": 0.7}},
}


@pytest.fixture(scope="module")
def logged_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One real offline W&B run written the way a sweep job writes it."""
    root = tmp_path_factory.mktemp("wandb")
    sweep = root / "sweep"
    job_dir = sweep / "3"
    job_dir.mkdir(parents=True)
    (sweep / "multirun.yaml").write_text("hydra: {}\n")
    seed_dir, model_dir = root / "cache" / "seed" / "s1", root / "cache" / "train" / "m1"
    for folder in (seed_dir, model_dir):
        folder.mkdir(parents=True)
        (folder / "part.bin").write_bytes(b"content")
    kept, rejected = synthetic_rows("kept", 6), synthetic_rows("rejected:filter", 4)
    kept_file = job_dir / "synthetic_kept.jsonl"
    kept.to_json(str(kept_file), lines=True)
    cfg = LoggerConfig(table_rows=8)
    overrides = ["gen=naive", "filter.label_consistency.threshold=0.7", "seed=3"]
    resolved = {"seed": 3, "data": {"seed_size": 50}, "gen": {"strategy": "naive"}}
    loggers = build_loggers(
        cfg, job_dir, run_config(resolved, overrides), ["gen:naive"], run_name="3",
        group=run_group(cfg, "shap_vs_naive", job_dir), job_type="naive",
    )  # fmt: skip
    assert isinstance(loggers[0], WandbLogger)
    loggers[0].log_metrics({"train/loss": 0.9}, step=0)
    loggers[0].log_metrics({"train/loss": 0.4}, step=1)
    log_job(
        loggers, cfg, METRICS,
        synthetic={"kept": kept, "rejected:filter": rejected},
        lineage=Lineage(
            seed_key="s1", seed_dir=seed_dir, model_key="m1", model_dir=model_dir,
            synthetic_key="f1", synthetic_files=[kept_file], model_inputs=["s1", "f1"],
        ),
        seed=0,
    )  # fmt: skip
    finish_loggers(loggers, failed=False)
    (log_file,) = find_run_logs(sweep)
    return sweep, log_file


def test_run_is_grouped_by_sweep_and_typed_by_strategy(logged_run: tuple[Path, Path]) -> None:
    sweep, log_file = logged_run
    run = read_offline_run(log_file)
    assert run.group == f"shap_vs_naive/{sweep.name}"
    assert run.job_type == "naive" and run.name == "3" and run.state == "finished"
    assert run.config["override/filter/label_consistency/threshold"] == 0.7
    assert run.config["override/gen"] == "naive"
    assert run.config["overrides"] == [
        "gen=naive",
        "filter.label_consistency.threshold=0.7",
        "seed=3",
    ]
    assert run.config["data"] == {"seed_size": 50}


def test_every_metric_reaches_the_summary_and_curves_the_history(
    logged_run: tuple[Path, Path],
) -> None:
    run = read_offline_run(logged_run[1])
    assert sorted(run.summary[METRICS_SECTIONS]) == sorted(METRICS)
    metrics = run_metrics(run)
    assert metrics["zero_shot"]["meld"]["ap_micro"] == 0.3
    assert metrics["zero_shot"]["dailydialog"]["skipped"] == "not on this machine"
    assert metrics["analysis"]["realism"]["two_sample_auc"] == 0.7
    assert metrics["test"]["per_class"]["joy"]["ap"] == 0.25
    assert metrics["test"]["per_class"]["fear"]["ap"] is None  # W&B stores NaN as null
    assert metrics["filter"]["kept_rows"] == 6
    assert [row["train/loss"] for row in run.history if "train/loss" in row] == [0.9, 0.4]


def test_samples_table_holds_kept_and_rejected_rows_with_reasons(
    logged_run: tuple[Path, Path],
) -> None:
    table = read_offline_run(logged_run[1]).table(SAMPLES_TABLE)
    assert table["columns"] == list(SAMPLE_COLUMNS)
    rows = [dict(zip(table["columns"], row, strict=True)) for row in table["data"]]
    assert len(rows) == 8
    assert sum(r["status"] == "kept" for r in rows) == 4
    rejected = [r for r in rows if r["status"] == "rejected:filter"]
    assert len(rejected) == 4
    assert {(r["rejected_by"], r["reason"]) for r in rejected} == {("leakage", "names_emotion")}
    assert {r["language"] for r in rows} <= {"en", "de"}
    assert all(r["labels"] in LABELS and r["strategy"] == "naive" for r in rows)
    assert all(json.loads(r["provenance"])["template"] == "naive.v1" for r in rows)


def test_artifacts_carry_lineage_from_seed_to_synthetic_to_model(
    logged_run: tuple[Path, Path],
) -> None:
    run = read_offline_run(logged_run[1])
    seed = run.artifact("dataset", "seed-")
    synthetic = run.artifact("dataset", "synthetic-")
    model = run.artifact("model")
    assert seed["metadata"]["inputs"] == []
    assert synthetic["metadata"]["inputs"] == [seed["name"]]
    assert model["metadata"]["inputs"] == [seed["name"], synthetic["name"]]
    assert [e["path"] for e in synthetic["entries"]] == ["synthetic_kept.jsonl"]
    # by default the cached seed data and model are checksummed references, not copies
    assert seed["entries"][0]["ref"].startswith("file://")
    assert model["entries"][0]["ref"].startswith("file://")


@pytest.mark.slow
def test_reader_agrees_with_wandbs_own_inspector(logged_run: tuple[Path, Path]) -> None:
    """`wandb leet inspect --json` (wandb-core) reads the same records."""
    log_file = logged_run[1]
    done = subprocess.run(
        [sys.executable, "-m", "wandb", "leet", "inspect", "--json", str(log_file)],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    records = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    run = read_offline_run(log_file)
    (run_record,) = [r["run"] for r in records if r["type"] == "run"]
    assert run_record["run_group"] == run.group and run_record["job_type"] == run.job_type
    artifacts = [r["artifact"]["name"] for r in records if r["type"] == "artifact"]
    assert artifacts == [a["name"] for a in run.artifacts]
    updates = [r["summary"]["update"] for r in records if r["type"] == "summary"]
    test_update = next(u["test"] for u in updates if "test" in u)
    assert test_update == run.summary["test"]
    history = [r for r in records if r["type"] == "history"]
    assert len(history) == len(run.history)


def test_corrupt_and_truncated_logs(logged_run: tuple[Path, Path], tmp_path: Path) -> None:
    data = logged_run[1].read_bytes()
    corrupt = tmp_path / "corrupt" / "run-x.wandb"
    corrupt.parent.mkdir()
    corrupt.write_bytes(data[:100] + bytes([data[100] ^ 0xFF]) + data[101:])
    with pytest.raises(OfflineRunError, match="checksum"):
        read_offline_run(corrupt)
    truncated = tmp_path / "run-t.wandb"
    truncated.write_bytes(data[: len(data) - 40])
    run = read_offline_run(truncated)
    assert not run.complete and run.state == "running" and run.group
    not_a_log = tmp_path / "run-n.wandb"
    not_a_log.write_bytes(b"hello world")
    with pytest.raises(OfflineRunError, match="not a W&B transaction log"):
        read_offline_run(not_a_log)


@pytest.mark.slow
def test_a_summary_larger_than_a_block_is_reassembled(tmp_path: Path) -> None:
    job_dir = tmp_path / "job"
    job_dir.mkdir()
    cfg = LoggerConfig(log_artifacts=False)
    loggers = build_loggers(cfg, job_dir, {}, [], run_name="big", group="g")
    big = {"analysis": {f"k{i:05d}": float(i) for i in range(4000)}}
    assert len(json.dumps(big)) > 2 * BLOCK_SIZE
    log_job(loggers, cfg, big)
    finish_loggers(loggers, failed=False)
    run = read_offline_run(find_run_logs(job_dir)[0])
    assert run.summary["analysis"] == big["analysis"]


@pytest.mark.slow
def test_failed_job_run_records_the_error(tmp_path: Path) -> None:
    job_dir = tmp_path / "job"
    job_dir.mkdir()
    loggers = build_loggers(LoggerConfig(), job_dir, {}, [], run_name="f", group="g")
    finish_loggers(loggers, failed=True, error=ValueError("no rows kept"))
    run = read_offline_run(find_run_logs(job_dir)[0])
    assert run.state == "failed" and run.summary["error"] == "ValueError: no rows kept"


def test_sample_rows_share_the_limit_and_are_reproducible() -> None:
    groups = {"kept": synthetic_rows("kept", 3), "rejected:filter": synthetic_rows("x", 20)}
    rows = sample_rows(groups, 10, seed=1)
    assert [r[0] for r in rows].count("kept") == 3  # all kept rows; the rest rejected
    assert len(rows) == 10 and rows == sample_rows(groups, 10, seed=1)
    assert sample_rows(groups, 100, seed=1).__len__() == 23


def test_run_group_outside_a_sweep_is_the_run_folder(tmp_path: Path) -> None:
    job = tmp_path / "runs" / "2026-01-01_00-00-00_1"
    job.mkdir(parents=True)
    assert run_group(LoggerConfig(), "default", job) == "default/2026-01-01_00-00-00_1"
    assert run_group(LoggerConfig(group="mine"), "default", job) == "mine"


def test_csv_logger_gets_every_number_flattened(tmp_path: Path) -> None:
    loggers = build_loggers(LoggerConfig(kind="csv"), tmp_path, {}, [], run_name="c")
    log_job(loggers, LoggerConfig(kind="csv"), METRICS)
    finish_loggers(loggers, failed=False)
    (metrics_csv,) = tmp_path.glob("csv/**/metrics.csv")
    header = metrics_csv.read_text().splitlines()[0].split(",")
    assert {"test/ap_micro", "zero_shot/meld/ap_micro", "filter/kept_rows"} <= set(header)
    assert "analysis/realism/two_sample_auc" in header
