"""A key never reaches a file, a log or the console, whatever a server echoes back or a user
types on the command line."""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.loopback_server import Faults, LoopbackServer
from hydra import compose, initialize_config_dir
from omegaconf import open_dict

from emoexp.config.schema import register_configs
from emoexp.paths import CONF_DIR, PROJECT_DIR
from emoexp.pipeline import run
from emoexp.tracking.redact import REDACTED, redact_overrides, scrub_text

register_configs()

KEY = "sk-live-Secret0123456789abcdef"
TYPED = "typed-Secret-987654321"


def files_holding(root: Path, secret: str) -> list[str]:
    hits = []
    for path in root.rglob("*"):
        if path.is_file() and secret.encode() in path.read_bytes():
            hits.append(str(path.relative_to(root)))
    return hits


def sqlite_holds(path: Path, secret: str) -> bool:
    with sqlite3.connect(path) as conn:
        dump = "\n".join(conn.iterdump())
    return secret in dump


def test_scrubbing_masks_keys_bearer_tokens_and_typed_overrides() -> None:
    assert scrub_text(f"HTTP 401: bad key {KEY}", [KEY]) == f"HTTP 401: bad key {REDACTED}"
    assert scrub_text("Authorization: Bearer abc123def456ghi", []) == (
        f"Authorization: Bearer {REDACTED}"
    )
    assert scrub_text("the bearer of bad news, a basic idea", []) == (
        "the bearer of bad news, a basic idea"
    )
    assert redact_overrides(
        ["seed=1", f"+llm.extra_body.api_token={TYPED}", "llm.api_key_env=MY_KEY",
         f"llm.api_key_env={KEY}"]
    ) == ["seed=1", f"+llm.extra_body.api_token={REDACTED}", "llm.api_key_env=MY_KEY",
          f"llm.api_key_env={REDACTED}"]  # fmt: skip


def test_a_server_echoing_the_key_leaves_no_trace_of_it(
    tmp_path: Path,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("EMOEXP_TEST_CRED", KEY)
    with LoopbackServer(Faults(api_key="another-key", echo_key=True)) as server:
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
            cfg = compose(
                config_name="config",
                overrides=[
                    "debug=fast", "data.max_train_rows=60", "data.max_eval_rows=40",
                    "llm=compatible", f"llm.base_url=[{server.base_url}]",
                    "llm.api_key_env=EMOEXP_TEST_CRED", "llm.max_retries=0",
                    "llm.progress=false", "gen.max_missing_fraction=1.0",
                    "gen.samples_per_label=1", "filter=none",
                ],
            )  # fmt: skip
        with open_dict(cfg):
            cfg.paths.output_dir = str(tmp_path / "job")
            cfg.paths.cache_dir = str(tmp_path / "cache")
            cfg.paths.data_dir = str(data_dir)
        with caplog.at_level(logging.INFO):
            metrics = run(cfg)
        assert f"Bearer {KEY}" in server.stats.authorizations  # the key did travel
    assert metrics["generation"]["missing"] == metrics["generation"]["planned"] > 0
    rejected = (tmp_path / "job" / "synthetic_rejected.jsonl").read_text()
    assert "Incorrect API key provided" in rejected and REDACTED in rejected
    assert KEY not in caplog.text and "Incorrect API key" in caplog.text
    assert files_holding(tmp_path, KEY) == []
    assert not sqlite_holds(tmp_path / "cache" / "llm" / "responses.sqlite", KEY)


@pytest.mark.slow
def test_cli_masks_echoed_and_typed_secrets_in_console_logs_and_hydra_files(
    tmp_path: Path, data_dir: Path
) -> None:
    with LoopbackServer(Faults(api_key="another-key", echo_key=True)) as server:
        job = tmp_path / "job"
        env = {**os.environ, "EMOEXP_DATA_DIR": str(data_dir),
               "EMOEXP_CACHE_DIR": str(tmp_path / "cache"), "EMOEXP_TEST_CRED": KEY}  # fmt: skip
        result = subprocess.run(
            [sys.executable, "-m", "emoexp", "debug=fast", "data.max_train_rows=60",
             "data.max_eval_rows=40", "llm=compatible", f"llm.base_url=[{server.base_url}]",
             "llm.api_key_env=EMOEXP_TEST_CRED", "llm.max_retries=0", "llm.progress=false",
             "gen.samples_per_label=1", f"+llm.extra_body.api_token={TYPED}",
             f"hydra.run.dir={job}"],
            cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert "generation incomplete" in output and "Incorrect API key" in output
    for secret in (KEY, TYPED):
        assert secret not in output
        assert files_holding(tmp_path, secret) == []
    assert (job / ".hydra" / "overrides.yaml").is_file() and (job / "status.json").is_file()
