"""Bad values fail when the config is composed, naming the key and what is allowed; every
shipped option passes; `llm.base_url` takes one URL or a list."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.configs import compose_config
from helpers.loopback_server import LoopbackServer
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig, OmegaConf

from emoexp.config.schema import register_configs
from emoexp.config.values import ConfigValueError, check_values, value_problems
from emoexp.llm.config import base_urls
from emoexp.llm.factory import build_backend
from emoexp.llm.types import ChatRequest
from emoexp.paths import CONF_DIR

register_configs()
PROJECT_DIR = Path(__file__).resolve().parents[1]


def compose_with(overrides: list[str]) -> DictConfig:
    return compose_config(overrides)


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml"))


@pytest.mark.slow
def test_every_shipped_option_has_valid_values() -> None:
    # every option folder of conf/ (hydra/ holds Hydra's settings, labels/ the taxonomies)
    groups = sorted(
        p.name for p in CONF_DIR.iterdir() if p.is_dir() and p.name not in {"hydra", "labels"}
    )
    overrides = [f"{group}={option}" for group in groups for option in options(group)]
    problems = {}
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        for override in overrides:
            found = value_problems(compose(config_name="config", overrides=[override]))
            if found:
                problems[override] = found
    assert problems == {}


@pytest.mark.parametrize(
    ("override", "key", "allowed"),
    [
        ("regime=bogus", "regime", "real, synthetic, real+synthetic"),
        ("filter.label_consistency.threshold=1.5", "filter.label_consistency.threshold", "[0, 1]"),
        ("filter.dedup.jaccard_threshold=-0.1", "filter.dedup.jaccard_threshold", "[0, 1]"),
        ("data.seed_size=0", "data.seed_size", "or null for every training row"),
        ("data.seed_size=-5", "data.seed_size", "positive"),
        ("data.max_train_rows=-1", "data.max_train_rows", "or null for no cap"),
        ("data.max_eval_rows=0", "data.max_eval_rows", "positive"),
        ("gen.strategy=shapp", "gen.strategy", "none, naive, shap, persona"),
        ("llm.backend=openia", "llm.backend", "local, openai, openai_batch, fake"),
        ("model.pooling=max", "model.pooling", "mean, cls"),
        ("trainer.precision=bf17", "trainer.precision", "bf16-mixed"),
        ("logger.kind=tensorboard", "logger.kind", "wandb, csv, none"),
        ("explain.method=kernel", "explain.method", "surrogate, partition"),
        ("eval.synthetic_holdout=1.0", "eval.synthetic_holdout", "[0, 1)"),
        ("llm.top_p=0", "llm.top_p", "(0, 1]"),
        ("llm.base_url=host:8000", "llm.base_url", "http(s) URL"),
        ("filter.length.min_chars=2000", "filter.length.min_chars", "filter.length.max_chars"),
        ("filter.label_consistency.score=prob", "filter.label_consistency.score", "rank"),
        ("gen.multilingual.plan=shared", "gen.multilingual.plan", "per_language, split"),
    ],
)
def test_a_bad_value_names_its_key_and_what_is_allowed(
    override: str, key: str, allowed: str
) -> None:
    cfg = compose_with([override])
    with pytest.raises(ConfigValueError) as error:
        check_values(cfg)
    message = str(error.value)
    assert f"{key}=" in message and allowed in message, message


def test_null_means_all_and_positive_sizes_pass() -> None:
    cfg = compose_with(["data.seed_size=null", "data.max_train_rows=10", "data.max_eval_rows=null"])
    check_values(cfg)


def test_the_old_label_consistency_key_fails_naming_the_new_one() -> None:
    problems = value_problems(compose_with(["filter.min_confidence=0.3"]))
    assert problems == [
        "filter.min_confidence=0.3 was renamed: set filter.label_consistency.threshold instead"
    ]
    assert value_problems(compose_with(["filter.label_consistency.threshold=0.3"])) == []


def test_every_problem_is_reported_at_once() -> None:
    problems = value_problems(
        compose_with(["regime=bogus", "filter.label_consistency.threshold=1.5"])
    )
    assert [p.split("=")[0] for p in problems] == ["regime", "filter.label_consistency.threshold"]


def _cli(*overrides: str, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "EMOEXP_CACHE_DIR": str(tmp_path / "cache")}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "emoexp", *overrides, f"hydra.run.dir={tmp_path / 'run'}"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done, time.perf_counter() - started


@pytest.mark.slow
def test_the_command_line_refuses_bad_values_before_any_stage(tmp_path: Path) -> None:
    done, _ = _cli("regime=bogus", "filter.label_consistency.threshold=1.5", tmp_path=tmp_path)
    assert done.returncode == 1, done.stderr[-3000:]
    assert "regime='bogus' must be one of: real, synthetic, real+synthetic" in done.stderr
    assert "filter.label_consistency.threshold=1.5 must lie in [0, 1]" in done.stderr
    assert "Traceback" not in done.stderr
    # no stage ran: no artifact was built, no job folder was written
    assert not (tmp_path / "cache").exists()
    assert not (tmp_path / "run").exists()


def test_base_url_takes_one_url_or_a_list() -> None:
    one = compose_with(["llm=compatible", "llm.base_url=http://host:8000/v1"])
    assert base_urls(one.llm) == ["http://host:8000/v1"]
    several = compose_with(["llm=vllm", "llm.base_url=[http://a:8000/v1,http://b:8000/v1]"])
    assert base_urls(several.llm) == ["http://a:8000/v1", "http://b:8000/v1"]
    check_values(one)
    check_values(several)


def test_a_single_base_url_reaches_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLM_API_KEY", "sk-loopback")
    with LoopbackServer() as server:
        cfg = compose_with(
            ["llm=compatible", f"llm.base_url={server.base_url}", "llm.progress=false"]
        )
        backend = build_backend(OmegaConf.to_object(cfg.llm), tmp_path / "responses.sqlite")
        [answer] = backend.generate([ChatRequest(messages=(("user", "hello"),))])
        assert server.stats.requests == 1
    assert answer.ok, answer.error
