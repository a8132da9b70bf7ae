"""Paired tests over test examples, from the predictions each job saved.

Two configurations trained with the same seed are scored on the same test rows; swapping the
two models' outputs for a random subset of rows (approximate randomisation) gives the null
distribution of a metric difference, for any metric (AP-micro, F1-micro). Several seeds are
combined by averaging the per-seed differences, with independent swaps per seed. Top-1
accuracy gets McNemar's exact test on the discordant rows pooled over seeds. These tests
condition on the trained models: they say the two models differ on this test set, not that a
new training run would; the seed-level tests answer that.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as scipy_stats

RESAMPLES = 1000
# resamples scored together: bounds memory to CHUNK x rows x labels floats
CHUNK = 50

BatchMetric = Callable[[np.ndarray, np.ndarray, np.ndarray | None], np.ndarray]


def average_precision_micro_batch(scores: np.ndarray, gold: np.ndarray) -> np.ndarray:
    """Micro-averaged average precision of each row of `scores` (R, M) against `gold` (R, M)
    or (M,), ties handled as sklearn's `average_precision_score` handles them (one threshold
    per distinct score)."""
    scores = np.atleast_2d(scores)
    gold = np.broadcast_to(gold, scores.shape)
    order = np.argsort(-scores, axis=1, kind="stable")
    ranked = np.take_along_axis(scores, order, axis=1)
    hits = np.take_along_axis(gold, order, axis=1).astype(np.float64)
    true_pos = np.cumsum(hits, axis=1)
    group_end = np.ones(ranked.shape, dtype=bool)
    group_end[:, :-1] = ranked[:, :-1] != ranked[:, 1:]
    tp_at_ends = np.where(group_end, true_pos, 0.0)
    previous = np.zeros_like(true_pos)
    previous[:, 1:] = np.maximum.accumulate(tp_at_ends, axis=1)[:, :-1]
    gained = np.where(group_end, true_pos - previous, 0.0)
    precision = true_pos / np.arange(1, ranked.shape[1] + 1)
    positives = true_pos[:, -1]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(positives > 0, (gained * precision).sum(axis=1) / positives, np.nan)


def _ap_micro(probs: np.ndarray, gold: np.ndarray, thresholds: np.ndarray | None) -> np.ndarray:
    batch = probs.reshape(probs.shape[0], -1)
    return average_precision_micro_batch(batch, gold.reshape(gold.shape[0], -1))


def _f1_micro(probs: np.ndarray, gold: np.ndarray, thresholds: np.ndarray | None) -> np.ndarray:
    cut = 0.5 if thresholds is None else thresholds
    predicted = probs >= cut
    true_pos = (predicted & gold).sum(axis=(1, 2))
    false = (predicted ^ gold).sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(true_pos + false > 0, 2 * true_pos / (2 * true_pos + false), 0.0)


def _top1(probs: np.ndarray, gold: np.ndarray, thresholds: np.ndarray | None) -> np.ndarray:
    picked = probs.argmax(axis=2)
    return np.take_along_axis(gold, picked[..., None], axis=2)[..., 0].mean(axis=1)


BATCH_METRICS: dict[str, BatchMetric] = {
    "ap_micro": _ap_micro,
    "f1_micro": _f1_micro,
    "top1_accuracy": _top1,
}


@dataclass
class PairedRun:
    """Both configurations' outputs on one seed's test rows (same rows, same order)."""

    probs_a: np.ndarray
    probs_b: np.ndarray
    gold: np.ndarray  # bool (rows, labels)
    thresholds_a: np.ndarray | None = None
    thresholds_b: np.ndarray | None = None


def _score(metric: BatchMetric, probs: np.ndarray, gold: np.ndarray, cut: np.ndarray | None):
    return metric(probs, np.broadcast_to(gold, probs.shape), cut)


def randomization_test(
    runs: Sequence[PairedRun],
    metric: str = "ap_micro",
    resamples: int = RESAMPLES,
    seed: int = 0,
    confidence: float = 0.95,
    bootstrap: bool = True,
) -> dict[str, float]:
    """Approximate randomisation over rows, combined over seeds: the statistic is the mean over
    seeds of metric(a) - metric(b); each resample swaps a and b on random rows of every seed.

    Also a paired bootstrap interval of the statistic (the same rows drawn for both arms).
    p = (extreme resamples + 1) / (resamples + 1).
    """
    score = BATCH_METRICS[metric]
    rng = np.random.default_rng(seed)
    observed_per_seed = [
        float(_score(score, run.probs_a[None], run.gold, run.thresholds_a)[0])
        - float(_score(score, run.probs_b[None], run.gold, run.thresholds_b)[0])
        for run in runs
    ]
    observed = float(np.mean(observed_per_seed))
    null = np.zeros(resamples)
    boot = np.zeros(resamples)
    for run in runs:
        rows = len(run.gold)
        for start in range(0, resamples, CHUNK):
            size = min(CHUNK, resamples - start)
            swap = rng.random((size, rows)) < 0.5
            # a threshold belongs to its model: a swapped row is scored with the other's cut
            mixed_a = np.where(swap[..., None], run.probs_b[None], run.probs_a[None])
            mixed_b = np.where(swap[..., None], run.probs_a[None], run.probs_b[None])
            cut_a: np.ndarray | None = None
            cut_b: np.ndarray | None = None
            if run.thresholds_a is not None or run.thresholds_b is not None:
                cut_a = _cuts(run.thresholds_a, run.thresholds_b, swap)
                cut_b = _cuts(run.thresholds_b, run.thresholds_a, swap)
            null[start : start + size] += (
                _score(score, mixed_a, run.gold, cut_a) - _score(score, mixed_b, run.gold, cut_b)
            ) / len(runs)
            if not bootstrap:
                continue
            picks = rng.integers(0, rows, size=(size, rows))
            gold = run.gold[picks]
            boot[start : start + size] += (
                score(run.probs_a[picks], gold, run.thresholds_a)
                - score(run.probs_b[picks], gold, run.thresholds_b)
            ) / len(runs)
    extreme = np.sum(np.abs(null) >= abs(observed) - 1e-12)
    tail = (1 - confidence) / 2
    finite = boot[np.isfinite(boot)] if bootstrap else boot[:0]
    low, high = np.quantile(finite, [tail, 1 - tail]) if len(finite) else (math.nan, math.nan)
    return {
        "statistic": observed,
        "p": float((extreme + 1) / (resamples + 1)),
        "ci_low": float(low),
        "ci_high": float(high),
        "rows": float(sum(len(run.gold) for run in runs)),
    }


def _cuts(own: np.ndarray | None, other: np.ndarray | None, swap: np.ndarray) -> np.ndarray:
    labels = len(own) if own is not None else len(other)  # type: ignore[arg-type]
    own_cut = np.full(labels, 0.5) if own is None else own
    other_cut = np.full(labels, 0.5) if other is None else other
    return np.where(swap[..., None], other_cut, own_cut)


def mcnemar_pooled(correct_a: Sequence[np.ndarray], correct_b: Sequence[np.ndarray]) -> dict:
    """McNemar's exact test on rows one model gets right and the other wrong, pooled over
    seeds (under the null each discordant row is a fair coin, independently per seed)."""
    only_a = int(sum(int(np.sum(a & ~b)) for a, b in zip(correct_a, correct_b, strict=True)))
    only_b = int(sum(int(np.sum(~a & b)) for a, b in zip(correct_a, correct_b, strict=True)))
    discordant = only_a + only_b
    p = float(scipy_stats.binomtest(only_a, discordant, 0.5).pvalue) if discordant else 1.0
    rows = sum(len(a) for a in correct_a)
    return {
        "only_a": float(only_a),
        "only_b": float(only_b),
        "statistic": (only_a - only_b) / rows if rows else math.nan,
        "p": p,
        "rows": float(rows),
    }
