"""Saved predictions and the per-example tests the report runs on them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.metrics import average_precision_score

from emoexp.evaluation.predictions import load_predictions, save_predictions
from emoexp.report import build_report
from emoexp.report.instance_tests import average_precision_micro_batch
from emoexp.report.plots import _shares

LABELS = ["anger", "joy", "neutral", "sadness"]


def test_predictions_round_trip_compactly(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    probs = rng.random((5427, 28))
    gold = rng.random((5427, 28)) < 0.1
    ids = [f"row-{i}" for i in range(5427)]
    path = save_predictions(tmp_path, "test", probs, gold, ids, [f"l{i}" for i in range(28)])
    assert path == tmp_path / "predictions" / "test.npz"
    assert path.stat().st_size < 600_000  # float16 + uint8, compressed
    loaded = load_predictions(path)
    assert np.allclose(loaded.probs, probs, atol=1e-3) and np.array_equal(loaded.gold, gold)
    assert loaded.ids[3] == "row-3" and loaded.thresholds is None
    with pytest.raises(ValueError, match="do not agree"):
        save_predictions(tmp_path, "bad", probs, gold[:10], ids, LABELS)


def test_vectorised_ap_matches_sklearn_with_ties() -> None:
    rng = np.random.default_rng(1)
    scores = rng.random((4, 3000)).astype(np.float16).astype(np.float32)  # many ties
    scores[1] = np.round(scores[1], 1)  # ten distinct scores only
    gold = rng.random(3000) < 0.2
    expected = [average_precision_score(gold, row) for row in scores]
    assert average_precision_micro_batch(scores, gold) == pytest.approx(expected)


def test_label_shares_of_an_arm_sum_to_one() -> None:
    # multi-label rows: per-row shares 0.6 + 0.5 + 0.4 = 1.5 before normalising
    frame = pd.DataFrame({"a": [0.6, 0.3], "b": [0.5, 0.5], "c": [0.4, 0.9]})
    shares = _shares(frame, {"a": "a", "b": "b", "c": "c"}, ["a", "b", "c"])
    assert shares.sum() == pytest.approx(1.0)


def _job(root: Path, number: int, gen: str, seed: int, probs: np.ndarray, gold: np.ndarray) -> None:
    job = root / str(number)
    (job / ".hydra").mkdir(parents=True)
    overrides = [f"gen={gen}", f"seed={seed}"]
    (job / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    config = {
        "seed": seed,
        "task_name": "erc_supplement_cpu",
        "gen": {"name": gen},
        "data": {"name": "dailydialog"},
        "report": {"question": "erc_supplement"},
    }
    (job / "config.yaml").write_text(yaml.safe_dump(config))
    (job / "status.json").write_text(json.dumps({"status": "completed", "overrides": overrides}))
    picked = probs.argmax(axis=1)
    accuracy = float(gold[np.arange(len(gold)), picked].mean())
    metrics = {"test": {"ap_micro": accuracy}, "train": {"rows": 400}}
    if gen != "none":
        metrics["filter"] = {"kept_rows": 80}
    (job / "metrics.json").write_text(json.dumps(metrics))
    ids = [f"u{i}" for i in range(len(gold))]
    save_predictions(job, "test", probs, gold, ids, LABELS)


def test_erc_report_scores_and_tests_utterances_from_predictions(tmp_path: Path) -> None:
    """A model that is right on 20 more utterances per seed: McNemar finds it per utterance,
    and the customary DailyDialog figure leaves the neutral class out."""
    rng = np.random.default_rng(4)
    rows = 300
    gold_index = rng.choice(4, size=rows, p=[0.2, 0.2, 0.5, 0.1])
    gold = np.eye(4, dtype=bool)[gold_index]
    number = 0
    for seed in (1, 2, 3):
        base = rng.random((rows, 4))
        right = rng.random(rows) < 0.5
        weak = np.where(right[:, None], gold * 2.0, 0) + base
        better_rows = np.flatnonzero(~right)[:40]
        strong = weak.copy()
        strong[better_rows] += gold[better_rows] * 2.0
        for gen, probs in (("none", weak), ("conversation", strong)):
            _job(tmp_path, number, gen, seed, probs / probs.sum(axis=1, keepdims=True), gold)
            number += 1
    text = build_report(tmp_path).read_text()
    assert "Do synthetic dialogues help the conversation benchmarks?" in text
    assert "micro-F1 without neutral" in text
    tests = json.loads((tmp_path / "report.json").read_text())["tests"]
    mcnemar = next(t for t in tests if t["test"].startswith("McNemar"))
    assert mcnemar["a"] == "conversation" and mcnemar["n"] == 900
    assert mcnemar["effect"] > 0.03 and mcnemar["p_adjusted"] < 0.001 and mcnemar["significant"]
    seed_level = [t for t in tests if t["level"] == "seed"]
    assert {t["metric"] for t in seed_level} == {"pred.accuracy", "pred.f1_weighted"}
    assert all(t["n"] == 3 for t in seed_level)
