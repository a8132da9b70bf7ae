"""One horizontal bar chart per class of its keywords' scores.

Figures are drawn on an Agg canvas directly rather than through pyplot, so plotting never
switches the caller's global matplotlib backend and never leaks open figures.
"""

from __future__ import annotations

import re
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def safe_filename(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", label) or "label"


def plot_class_keywords(
    label: str, ranked: list[tuple[str, float]], out_dir: Path, score_name: str
) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{safe_filename(label)}.png"
    words = [word for word, _ in ranked][::-1]
    scores = [score for _, score in ranked][::-1]
    figure = Figure(figsize=(6, 0.3 * max(len(words), 3) + 1))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.barh(words, scores, color="#4C72B0")
    axes.set_xlabel(score_name)
    axes.set_title(f"{label}: top {len(words)} words" if words else f"{label}: no keywords")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    return path
