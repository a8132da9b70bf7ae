"""Each job's test predictions on disk, so a report can test differences per test example.

One compressed `.npz` per scored set under `<job>/predictions/`: probabilities as float16,
gold multi-hot as uint8, row ids, label names and the tuned thresholds. GoEmotions' 5,427
test rows x 28 labels take about 0.3 MB.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

PREDICTIONS_DIR = "predictions"


@dataclass
class Predictions:
    """Scores and gold labels of one set, rows in test order."""

    probs: np.ndarray  # (rows, labels) float
    gold: np.ndarray  # (rows, labels) 0/1
    ids: np.ndarray  # (rows,) str
    labels: tuple[str, ...]
    thresholds: np.ndarray | None = None


def predictions_path(job_dir: Path, set_name: str) -> Path:
    return Path(job_dir) / PREDICTIONS_DIR / f"{set_name}.npz"


def save_predictions(
    job_dir: Path,
    set_name: str,
    probs: np.ndarray,
    gold: np.ndarray,
    ids: list[str],
    labels: list[str],
    thresholds: np.ndarray | None = None,
) -> Path:
    """Write one set's predictions; written to a temporary name first so a crash never
    leaves a truncated file under the final name."""
    probs = np.asarray(probs)
    gold = np.asarray(gold)
    if probs.shape != gold.shape or probs.shape[0] != len(ids) or probs.shape[1] != len(labels):
        raise ValueError(
            f"predictions for {set_name!r}: probs {probs.shape}, gold {gold.shape}, "
            f"{len(ids)} ids and {len(labels)} labels do not agree"
        )
    path = predictions_path(job_dir, set_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.npz")
    arrays: dict[str, np.ndarray] = {
        "probs": probs.astype(np.float16),
        "gold": (gold > 0).astype(np.uint8),
        "ids": np.asarray(ids, dtype=str),
        "labels": np.asarray(labels, dtype=str),
    }
    if thresholds is not None:
        arrays["thresholds"] = np.asarray(thresholds, dtype=np.float32)
    np.savez_compressed(partial, allow_pickle=False, **arrays)
    partial.replace(path)
    return path


def load_predictions(path: Path) -> Predictions:
    with np.load(path, allow_pickle=False) as data:
        return Predictions(
            probs=data["probs"].astype(np.float32),
            gold=data["gold"].astype(bool),
            ids=data["ids"],
            labels=tuple(str(label) for label in data["labels"]),
            thresholds=data.get("thresholds"),
        )
