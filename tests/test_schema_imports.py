"""Composing a config imports no ML library, so a mistyped key answers about as fast as
Hydra alone (the entry point imports the pipeline only once a job runs)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "transformers", "datasets", "sklearn", "pytorch_lightning", "shap", "pandas")


def _modules_after(code: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport json, sys; print(json.dumps(sorted(sys.modules)))"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "code",
    [
        "import emoexp.config.schema",
        "import emoexp.config.values",
        "import emoexp.preflight",
        # what Hydra imports to compose the command line's config
        "import emoexp.__main__",
    ],
)
def test_schema_modules_import_no_ml_library(code: str) -> None:
    loaded = _modules_after(code)
    assert not [name for name in HEAVY if name in loaded]


@pytest.mark.slow
def test_package_exports_still_resolve_on_first_use() -> None:
    loaded = _modules_after(
        "from emoexp.filters import scoring_key\n"
        "from emoexp.models import MultiLabelClassifier\n"
        "from emoexp.generation import GenerationOutput"
    )
    assert "emoexp.filters.apply" in loaded and "emoexp.models.network" in loaded
    assert "emoexp.generation.run" in loaded


def test_a_mistyped_key_is_reported_without_loading_torch(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "emoexp", "trainer.max_epocs=1"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "max_epocs" in done.stderr
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    assert not [name for name in HEAVY if name in imported]
