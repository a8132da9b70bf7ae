"""A demonstration sweep folder with generated metrics, laid out as the pipeline lays out a
real one. For the walkthrough notebook and the report benchmark when no real sweep is at
hand; every file it writes says it is a demo, and no number in it was measured."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import yaml

DEMO_NOTE = "DEMO: generated example metrics, not experimental results."
DEMO_LABELS = ("anger", "fear", "joy", "love", "sadness", "surprise")
STRATEGY_GAIN = {"none": 0.0, "naive": 0.01, "shap": 0.03, "persona": 0.025}


def write_demo_sweep(
    root: str | Path,
    strategies: tuple[str, ...] = ("naive", "shap"),
    seed_sizes: tuple[int, ...] = (50, 200),
    seeds: tuple[int, ...] = (0, 1, 2),
    thresholds: tuple[float, ...] = (0.5,),
    failed_jobs: tuple[int, ...] = (),
    random_state: int = 0,
) -> Path:
    """Write one job folder per (strategy, seed size, threshold, seed) into `root`."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    (root / "DEMO.txt").write_text(DEMO_NOTE + "\n")
    rng = np.random.default_rng(random_state)
    sweep = {"gen": list(strategies), "data.seed_size": list(seed_sizes), "seed": list(seeds)}
    if len(thresholds) > 1:
        sweep["filter.label_consistency.threshold"] = list(thresholds)
    (root / "multirun.yaml").write_text(
        yaml.safe_dump({"note": DEMO_NOTE, "hydra": {"sweeper": {"params": sweep}}})
    )
    grid = itertools.product(strategies, seed_sizes, thresholds, seeds)
    for number, (strategy, seed_size, threshold, seed) in enumerate(grid):
        job = root / str(number)
        (job / ".hydra").mkdir(parents=True, exist_ok=True)
        overrides = [f"gen={strategy}", f"data.seed_size={seed_size}", f"seed={seed}"]
        if len(thresholds) > 1:
            overrides.append(f"filter.label_consistency.threshold={threshold}")
        (job / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
        config = {
            "task_name": "demo",
            "seed": seed,
            "gen": {"name": strategy},
            "data": {"name": "goemotions", "seed_size": seed_size},
            "filter": {"label_consistency": {"threshold": threshold}},
        }
        (job / ".hydra" / "config.yaml").write_text(yaml.safe_dump(config))
        (job / "config.yaml").write_text(yaml.safe_dump(config))
        status = {
            "status": "completed",
            "overrides": overrides,
            "started": "2025-01-01T00:00:00+00:00",
            "finished": "2025-01-01T00:05:00+00:00",
            "duration_s": round(float(rng.uniform(200, 400)), 1),
        }
        if number in failed_jobs:
            status |= {
                "status": "failed",
                "error": "RuntimeError: demo failure (generated to show how failed jobs appear)",
                "traceback": "Traceback (most recent call last):\nRuntimeError: demo failure",
            }
            (job / "status.json").write_text(json.dumps(status, indent=2))
            continue
        kept = int(1000 * (1.0 - threshold) + rng.integers(0, 50))
        base = 0.35 + 0.04 * np.log10(seed_size) + STRATEGY_GAIN.get(strategy, 0.0)
        base += 0.02 * (0.7 - abs(threshold - 0.7))
        ap = float(np.clip(base + rng.normal(0, 0.01), 0, 1))
        per_class = {
            label: {"f1@0.5": float(np.clip(ap - 0.1 + rng.normal(0, 0.05), 0, 1)), "support": 100}
            for label in DEMO_LABELS
        }
        metrics = {
            "note": DEMO_NOTE,
            "test": {
                "ap_micro": ap,
                "ap_macro": ap - 0.05,
                "f1_micro@0.5": ap - 0.03 + float(rng.normal(0, 0.01)),
                "f1_macro@0.5": ap - 0.08 + float(rng.normal(0, 0.01)),
                "n_samples": 5427,
                "per_class": per_class,
                "absent_classes": [],
            },
            "zero_shot": {
                "meld": {"ap_micro": ap - 0.15 + float(rng.normal(0, 0.01)), "accuracy": 0.3},
                "semeval_ec_en": {"skipped": "files not found (demo)"},
            },
            "filter": {"kept": kept, "rejected": 1000 - kept},
            "analysis": {
                "label_distribution": {
                    "real": {label: 1 / len(DEMO_LABELS) for label in DEMO_LABELS},
                    "synthetic": {
                        label: float(w)
                        for label, w in zip(
                            DEMO_LABELS, rng.dirichlet([5] * len(DEMO_LABELS)), strict=True
                        )
                    },
                },
                "linguistic": {
                    side: {
                        "overall": {
                            "type_token_ratio": ttr,
                            "mtld": 60 * ttr / 0.2,
                            "hapax_share": 0.5 + ttr,
                            "first_person_rate": fp,
                            "temporal_per_100_tokens": tmp,
                            "words_mean": words,
                        }
                    }
                    for side, ttr, fp, tmp, words in (
                        ("real", 0.2, 0.06, 0.8, 13.0),
                        ("synthetic", 0.12, 0.09, 0.3, 18.0),
                    )
                },
                "diversity": {
                    "real": {"distinct_2": 0.7, "self_bleu": 0.08},
                    "synthetic": {"distinct_2": 0.4, "self_bleu": 0.3},
                },
                "realism": {"mauve": 0.6, "frechet_distance": 0.4, "two_sample_auc": 0.85},
            },
        }
        (job / "metrics.json").write_text(json.dumps(metrics, indent=2))
        (job / "status.json").write_text(json.dumps(status, indent=2))
        (job / "summary.md").write_text(f"# Job {number}\n\n{DEMO_NOTE}\n")
    return root
