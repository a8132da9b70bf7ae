"""The sweep report on a sweep folder laid out as the pipeline writes one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from emoexp.report import ReportError, build_report, collect_jobs
from emoexp.report.collect import parse_override, swept_keys
from emoexp.report.wandb_source import parse_spec

PROJECT_DIR = Path(__file__).resolve().parents[1]
# test.ap_micro per (strategy, seed size, seed): shap beats naive by 0.02 at every seed
GAIN = {"naive": 0.0, "shap": 0.02}
SEED_NOISE = [0.004, -0.006, 0.001, 0.007, -0.003]


def _write_job(
    root: Path, number: int, overrides: list[str], status: dict, metrics: dict | None
) -> None:
    job = root / str(number)
    (job / ".hydra").mkdir(parents=True)
    (job / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    config = {"seed": 0, "gen": {"name": "none"}, "data": {"seed_size": None}}
    (job / "config.yaml").write_text(yaml.safe_dump(config))
    (job / "status.json").write_text(
        json.dumps({"overrides": overrides, "duration_s": 12.5, **status})
    )
    if metrics is not None:
        (job / "metrics.json").write_text(json.dumps(metrics))


@pytest.fixture()
def sweep(tmp_path: Path) -> Path:
    root = tmp_path / "multirun" / "2025-01-01_00-00-00_000000"
    root.mkdir(parents=True)
    (root / "multirun.yaml").write_text("hydra: {}\n")
    number = 0
    for gen in ("naive", "shap"):
        for size in (50, 500):
            for seed, noise in enumerate(SEED_NOISE):
                overrides = [f"gen={gen}", f"data.seed_size={size}", f"seed={seed}"]
                if (gen, size, seed) == ("shap", 500, 4):
                    failure = {"status": "failed", "error": "CUDA error: out of memory"}
                    _write_job(root, number, overrides, failure, None)
                else:
                    ap = 0.4 + 0.03 * (size == 500) + GAIN[gen] + noise
                    metrics = {
                        "test": {
                            "ap_micro": ap,
                            "f1_macro@0.5": ap - 0.1,
                            "per_class": {
                                "joy": {"f1@0.5": ap, "support": 5},
                                "anger": {"f1@0.5": ap - 0.2, "support": 3},
                            },
                            "absent_classes": [],
                        },
                        "zero_shot": {
                            "meld": {"ap_micro": ap - 0.1},
                            "dailydialog": {"skipped": "missing"},
                        },
                        "filter": {"kept_rows": 100 + seed},
                    }
                    _write_job(root, number, overrides, {"status": "completed"}, metrics)
                number += 1
    return root


def test_collect_one_row_per_job_with_typed_overrides(sweep: Path) -> None:
    frame = collect_jobs(sweep)
    assert len(frame) == 20
    assert frame.attrs["override_keys"] == ["data.seed_size", "gen", "seed"]
    assert swept_keys(frame) == ["data.seed_size", "gen", "seed"]
    assert frame["data.seed_size"].tolist()[:5] == [50] * 5
    assert frame["job_num"].tolist() == list(range(20))
    failed = frame[frame["status"] == "failed"]
    assert failed["error"].tolist() == ["CUDA error: out of memory"]
    assert frame.loc[0, "test.ap_micro"] == pytest.approx(0.404)
    assert frame.loc[0, "zero_shot.meld.ap_micro"] == pytest.approx(0.304)
    assert frame.loc[0, "test.per_class.joy.f1@0.5"] == pytest.approx(0.404)


def test_collect_fills_keys_a_job_did_not_override(tmp_path: Path) -> None:
    _write_job(tmp_path, 0, ["gen=shap"], {"status": "completed"}, {"test": {"ap_micro": 0.5}})
    _write_job(tmp_path, 1, [], {"status": "completed"}, {"test": {"ap_micro": 0.4}})
    frame = collect_jobs(tmp_path)
    assert frame["gen"].tolist() == ["shap", "none"]  # from config.yaml's gen.name


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("data.seed_size=100", ("data.seed_size", 100)),
        ("filter.label_consistency.threshold=0.7", ("filter.label_consistency.threshold", 0.7)),
        ("+experiment=persona_ablation", ("experiment", "persona_ablation")),
        ("data.max_train_rows=null", ("data.max_train_rows", None)),
        ("gen.languages=[en,de]", ("gen.languages", "[en,de]")),
    ],
)
def test_parse_override(text: str, parsed: tuple) -> None:
    assert parse_override(text) == parsed


def test_report_contents(sweep: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    report = build_report(sweep, out_dir=out, html_page=True)
    text = report.read_text()
    assert "20 jobs (19 completed, 1 failed)" in text
    assert "## Failed jobs (1)" in text and "CUDA error: out of memory" in text
    assert "## Zero-shot sets not scored" in text and "dailydialog: missing" in text
    # best configuration: shap at seed size 500, mean over its 4 completed seeds
    best_row = next(line for line in text.splitlines() if line.startswith("| test.ap_micro | max"))
    assert "data.seed_size=500, gen=shap" in best_row
    expected = 0.4 + 0.03 + 0.02 + sum(SEED_NOISE[:4]) / 4
    assert f"{expected:.4g}" in best_row
    # one paired test of gen per seed size, over the seeds both arms completed
    tests = json.loads((out / "report.json").read_text())["tests"]
    gen_tests = {t["held"]: t for t in tests if t["factor"] == "gen" and t["level"] == "seed"}
    assert set(gen_tests) == {"data.seed_size=50", "data.seed_size=500"}
    at_500 = gen_tests["data.seed_size=500"]
    assert (at_500["a"], at_500["b"], at_500["n"]) == ("naive", "shap", 4)
    assert at_500["effect"] == pytest.approx(-0.02)
    assert at_500["p_exact"] == pytest.approx(0.125)  # 4 same-sign pairs: 2 / 2^4
    for test in tests:
        assert {"metric", "factor", "a", "b", "n", "test", "statistic", "effect", "ci_low",
                "ci_high", "p", "p_adjusted"} <= set(test)  # fmt: skip
        assert test["p_adjusted"] >= test["p"]
    assert "cannot go below p = 0.125 > alpha = 0.05; 6 seeds are needed" in text
    assert (out / "report.html").is_file() and "<table" in (out / "report.html").read_text()
    assert (out / "jobs.csv").is_file()
    for plot in ("test.ap_micro_vs_data.seed_size.png", "per_class.png"):
        assert (out / "plots" / plot).stat().st_size > 1000
        assert f"(plots/{plot})" in text


def test_the_experiment_names_the_question_and_its_alpha(sweep: Path, tmp_path: Path) -> None:
    for config_path in sweep.glob("*/config.yaml"):
        config = yaml.safe_load(config_path.read_text())
        config["report"] = {"question": "shap_vs_naive", "alpha": 0.01, "min_kept_rows": 200}
        config_path.write_text(yaml.safe_dump(config))
    text = build_report(sweep, out_dir=tmp_path / "q").read_text()
    assert "Does SHAP-guided generation beat naive generation" in text
    assert "alpha = 0.01" in text and "8 seeds are needed" in text
    assert "kept 100-104 synthetic rows" in text  # below the 200 asked for: flagged
    payload = json.loads((tmp_path / "q" / "report.json").read_text())
    assert payload["settings"]["alpha"] == 0.01
    assert all(t["significant"] is False for t in payload["tests"])  # 4-5 seeds cannot reach it


def test_a_mistyped_question_fails_clearly(sweep: Path, tmp_path: Path) -> None:
    config_path = sweep / "0" / "config.yaml"
    config = yaml.safe_load(config_path.read_text())
    config["report"] = {"question": "shap_vs_naiv"}
    config_path.write_text(yaml.safe_dump(config))
    with pytest.raises(ReportError, match="'shap_vs_naiv' is not one of generic, shap_vs_naive"):
        build_report(sweep, out_dir=tmp_path / "bad")


def test_report_on_a_single_job_folder(sweep: Path, tmp_path: Path) -> None:
    report = build_report(sweep / "0", out_dir=tmp_path / "one")
    assert "1 jobs (1 completed)" in report.read_text()


def test_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="no job folders"):
        collect_jobs(tmp_path)
    with pytest.raises(ReportError, match="not a folder"):
        collect_jobs(tmp_path / "missing")
    with pytest.raises(ReportError, match="ENTITY/PROJECT"):
        parse_spec("just-a-project")
    assert parse_spec("lab/emoexp:sweep-3") == ("lab/emoexp", "sweep-3")


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE", "MPLBACKEND": "Agg"}
    return subprocess.run(
        [sys.executable, *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,
    )


def test_cli_writes_the_report_without_importing_torch(sweep: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli"
    code = (
        "import sys, runpy; sys.argv = ['emoexp.report', sys.argv[1], '--out', sys.argv[2], "
        "'--metric', 'test.f1_macro@0.5']; "
        "import emoexp.report.__main__ as m; rc = m.main(sys.argv[1:]); "
        "assert 'torch' not in sys.modules, 'the report path imported torch'; sys.exit(rc)"
    )
    done = _run(["-c", code, str(sweep), str(out)])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(out / "report.md")
    assert "Main metric: test.f1_macro@0.5" in (out / "report.md").read_text()


def test_cli_module_entry_point_and_error_exit(sweep: Path, tmp_path: Path) -> None:
    done = _run(["-m", "emoexp.report", str(sweep), "--out", str(tmp_path / "m")])
    assert done.returncode == 0, done.stderr
    missing = _run(["-m", "emoexp.report", str(tmp_path / "nothing-here")])
    assert missing.returncode == 2 and "not a folder" in missing.stderr


def test_wandb_source_without_credentials_fails_clearly(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "WANDB_API_KEY"}
    env |= {
        "HOME": str(tmp_path),
        "NETRC": str(tmp_path / "none"),
        "WANDB_CONFIG_DIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-m", "emoexp.report", "--wandb", "lab/emoexp:g1", "--out", str(tmp_path)],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert "could not read W&B runs of 'lab/emoexp:g1'" in done.stderr
    assert "wandb login" in done.stderr


def test_every_arm_shows_its_kept_rows_and_the_shap_report_names_its_models(
    sweep: Path, tmp_path: Path
) -> None:
    for number, config_path in enumerate(sorted(sweep.glob("*/config.yaml"))):
        config = yaml.safe_load(config_path.read_text())
        config["report"] = {"question": "shap_vs_naive"}
        config["explain"] = {"method": "partition"}
        config["filter"] = {"label_consistency": {"scorer": "encoder"}}
        config_path.write_text(yaml.safe_dump(config))
        metrics_path = config_path.parent / "metrics.json"
        if metrics_path.is_file() and number < 10:  # the naive jobs: no keywords explained
            continue
        if metrics_path.is_file():
            metrics = json.loads(metrics_path.read_text())
            metrics["explain"] = {"surrogate_agreement": {"mean_jaccard": 0.25}}
            metrics_path.write_text(json.dumps(metrics))
    text = build_report(sweep, out_dir=tmp_path / "arms").read_text()
    jobs = text.split("## Jobs")[1].split("##")[0]
    header = next(line for line in jobs.splitlines() if line.startswith("| job"))
    assert "filter.kept_rows" in header
    assert "| 100 |" in jobs and "| 104 |" in jobs
    assert "Keywords: partition" in text and "label consistency judged by: encoder" in text
    assert "mean Jaccard 0.25" in text


def test_the_multilingual_report_has_the_in_domain_synthetic_table_per_encoder(
    tmp_path: Path,
) -> None:
    root = tmp_path / "sweep"
    number = 0
    for languages in ("[en]", "[en,de]"):
        for model in ("minilm", "multilingual_e5_small"):
            overrides = [f"gen.multilingual.languages={languages}", f"model={model}", "seed=1"]
            f1 = 0.61 if model == "minilm" else 0.52
            metrics = {
                "test": {"ap_micro": 0.3},
                "synthetic_test": {
                    "f1_micro@0.5": f1,
                    "auroc_micro": 0.83,
                    "ap_micro": 0.5,
                    "n_samples": 14,
                },
                "zero_shot": {"meld": {"ap_micro": 0.2, "lrap": 0.4, "auroc_micro": 0.6}},
            }
            _write_job(root, number, overrides, {"status": "completed"}, metrics)
            config_path = root / str(number) / "config.yaml"
            config = yaml.safe_load(config_path.read_text())
            config["report"] = {"question": "multilingual_scale"}
            config_path.write_text(yaml.safe_dump(config))
            number += 1
    (root / "multirun.yaml").write_text("hydra: {}\n")
    text = build_report(root, out_dir=tmp_path / "report").read_text()
    section = text.split("In-domain: the held-out synthetic test per encoder")[1].split("###")[0]
    header = next(line for line in section.splitlines() if line.startswith("|"))
    assert "f1_micro@0.5" in header and "auroc_micro" in header and "test rows" in header
    rows = [line for line in section.splitlines() if "minilm" in line or "e5" in line]
    assert len(rows) == 4
    assert all("0.61" in line for line in rows if "minilm" in line)
