"""Shared fixtures: where the real datasets are, a composed fast job config, the fake LLM and
a few rows; quiet, deterministic torch threads."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import datasets
    from omegaconf import DictConfig

    from emoexp.llm.fake import FakeBackend

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("WANDB_SILENT", "true")

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = PROJECT_DIR.parent / "shared" / "datasets"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The folder with one sub-folder per real dataset (EMOEXP_DATA_DIR overrides)."""
    path = Path(os.environ.get("EMOEXP_DATA_DIR", DEFAULT_DATA_DIR))
    if not (path / "goemotions").is_dir():
        pytest.fail(f"real datasets not found in {path}; set EMOEXP_DATA_DIR")
    return path


@pytest.fixture
def compose_job(tmp_path: Path, data_dir: Path) -> Callable[..., DictConfig]:
    """Composes a fast job's config as `python -m emoexp debug=fast ...` would, with its job
    folder (`tmp_path/<job>`) and artifact cache (`tmp_path/cache`) inside the test's folder."""

    from helpers.configs import FAST, job_config

    def compose(overrides: Sequence[str] = (), *, job: str = "job") -> DictConfig:
        return job_config(
            [*FAST, *overrides],
            job_dir=tmp_path / job,
            cache_dir=tmp_path / "cache",
            data_dir=data_dir,
        )

    return compose


@pytest.fixture
def cfg(compose_job: Callable[..., DictConfig]) -> DictConfig:
    """The fast job's composed config, no overrides."""
    return compose_job()


@pytest.fixture
def fake_llm() -> FakeBackend:
    """The deterministic in-process LLM: echoes the emotions its prompt names."""
    from emoexp.llm.fake import FakeBackend

    return FakeBackend()


@pytest.fixture(scope="session")
def tiny_rows() -> datasets.Dataset:
    """Six labelled rows in emo11, for tests that need rows but not a corpus."""
    from helpers.rows import labelled_rows

    items = [
        ("My sister finally called me back after two years.", ["joy"]),
        ("They cancelled my flight again without a word.", ["anger"]),
        ("I keep checking the door, something feels off tonight.", ["fear"]),
        ("We buried our old dog under the apple tree today.", ["sadness"]),
        ("Wait, you sold the house already?", ["surprise"]),
        ("The meeting moved to Thursday.", ["neutral"]),
    ]
    return labelled_rows(items, prefix="tiny")
