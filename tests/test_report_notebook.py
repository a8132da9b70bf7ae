"""The walkthrough notebook runs top to bottom in a fresh kernel of this environment."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "report_walkthrough.ipynb"


def _kernel_name() -> str:
    """The kernel of the Python running the tests (ipykernel's built-in spec), so the notebook
    sees this environment's emoexp without a separately installed kernelspec."""
    from jupyter_client.kernelspec import NATIVE_KERNEL_NAME

    return NATIVE_KERNEL_NAME


def test_walkthrough_notebook_executes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EMOEXP_SWEEP_DIR", raising=False)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("OMP_WAIT_POLICY", "PASSIVE")
    # the notebook's demo sweep and report go to temporary folders: this test's, not /tmp
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=120,
        kernel_name=_kernel_name(),
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    outputs = [
        output.get("text", "") + str(output.get("data", {}).get("text/plain", ""))
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    ]
    joined = "\n".join(outputs)
    assert "DEMO" in joined  # no sweep given: the generated demo says so
    assert "swept: ['data.seed_size', 'gen', 'seed']" in joined
    assert "report.md" in joined
    images = [
        output
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    ]
    assert images, "the seed-size plot was not displayed"
