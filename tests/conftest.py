"""Shared fixtures: where the real datasets are, and quiet, deterministic torch threads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
