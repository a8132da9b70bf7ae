"""Confidence intervals over seeds and paired significance tests between configurations.

A difference between two generation strategies is only worth reporting when it survives the
seed-to-seed noise: jobs are paired on everything but the compared factor (same seed, same
seed size, same model), tested with a paired bootstrap and a Wilcoxon signed-rank test, and
the p-values are Holm-corrected over every comparison in the table.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

BOOTSTRAP_RESAMPLES = 2000
NONE_LEVEL = "None"


def t_interval(
    values: Sequence[float] | np.ndarray, confidence: float = 0.95
) -> tuple[float, float]:
    array = np.asarray(values, dtype=float)
    if len(array) < 2:
        return (math.nan, math.nan)
    half = scipy_stats.t.ppf((1 + confidence) / 2, len(array) - 1) * scipy_stats.sem(array)
    return (float(array.mean() - half), float(array.mean() + half))


def bootstrap_interval(
    values: Sequence[float] | np.ndarray,
    confidence: float = 0.95,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean."""
    array = np.asarray(values, dtype=float)
    if len(array) < 2:
        return (math.nan, math.nan)
    rng = np.random.default_rng(seed)
    means = rng.choice(array, size=(resamples, len(array)), replace=True).mean(axis=1)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return (float(low), float(high))


def mean_ci(values: Sequence[float], confidence: float = 0.95, seed: int = 0) -> dict[str, float]:
    array = np.asarray([v for v in values if not math.isnan(v)], dtype=float)
    t_low, t_high = t_interval(array, confidence)
    b_low, b_high = bootstrap_interval(array, confidence, seed=seed)
    return {
        "n": float(len(array)),
        "mean": float(array.mean()) if len(array) else math.nan,
        "std": float(array.std(ddof=1)) if len(array) > 1 else math.nan,
        "t_low": t_low,
        "t_high": t_high,
        "boot_low": b_low,
        "boot_high": b_high,
    }


def paired_bootstrap_p(
    differences: Sequence[float], resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 0
) -> float:
    """Two-sided p-value of mean difference 0: resample the differences centred on 0 and count
    means at least as far from 0 as the observed one."""
    diffs = np.asarray(differences, dtype=float)
    if len(diffs) == 0:
        return math.nan
    observed = abs(diffs.mean())
    if observed == 0:
        return 1.0
    centred = diffs - diffs.mean()
    rng = np.random.default_rng(seed)
    means = rng.choice(centred, size=(resamples, len(diffs)), replace=True).mean(axis=1)
    return float((np.sum(np.abs(means) >= observed) + 1) / (resamples + 1))


def wilcoxon_p(differences: Sequence[float]) -> float:
    diffs = np.asarray(differences, dtype=float)
    if len(diffs) == 0:
        return math.nan
    if np.all(diffs == 0):
        return 1.0  # scipy refuses all-zero differences; no evidence of a difference
    return float(scipy_stats.wilcoxon(diffs, zero_method="wilcox").pvalue)


def holm(pvalues: Sequence[float]) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (NaNs stay NaN and do not count as tests)."""
    p = np.asarray(pvalues, dtype=float)
    adjusted = np.full_like(p, np.nan)
    valid = np.flatnonzero(~np.isnan(p))
    order = valid[np.argsort(p[valid])]
    m = len(order)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[index]))
        adjusted[index] = running
    return adjusted


def _levels(series: pd.Series) -> pd.Series:
    return series.map(
        lambda v: NONE_LEVEL if v is None or (isinstance(v, float) and math.isnan(v)) else v
    )


def _level_order(value: Any) -> tuple[int, float, str]:
    """Numbers in numeric order, then everything else by name."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return (0, float(value), "")
    return (1, 0.0, str(value))


def group_summary(
    frame: pd.DataFrame, metric: str, by: Sequence[str], confidence: float = 0.95
) -> pd.DataFrame:
    """Mean and 95 % CIs (t and bootstrap) of `metric` per configuration, over its jobs (seeds)."""
    data = frame.dropna(subset=[metric])
    if not by:
        return pd.DataFrame([mean_ci(data[metric].tolist(), confidence)])
    keys = data[list(by)].apply(_levels)
    rows = []
    for level, group in data.groupby([keys[k] for k in by], sort=True):
        level = level if isinstance(level, tuple) else (level,)
        rows.append(
            {**dict(zip(by, level, strict=True)), **mean_ci(group[metric].tolist(), confidence)}
        )
    return pd.DataFrame(rows)


def paired_comparisons(
    frame: pd.DataFrame, metric: str, factor: str, pair_on: Sequence[str], seed: int = 0
) -> pd.DataFrame:
    """Every pair of `factor`'s levels compared on jobs that agree on all of `pair_on`.

    Returns one row per pair: pairs found, mean difference (a - b), its bootstrap CI, and the
    paired-bootstrap and Wilcoxon p-values (uncorrected; see `with_holm`).
    """
    data = frame.dropna(subset=[metric]).copy()
    data[factor] = _levels(data[factor])
    pair_on = [key for key in pair_on if key != factor]
    for key in pair_on:
        data[key] = _levels(data[key])
    rows: list[dict[str, Any]] = []
    levels = sorted(data[factor].unique(), key=_level_order)
    for a, b in itertools.combinations(levels, 2):
        left = data[data[factor] == a]
        right = data[data[factor] == b]
        if pair_on:
            left = left.groupby(pair_on, sort=False)[metric].mean()
            right = right.groupby(pair_on, sort=False)[metric].mean()
            joined = pd.concat([left.rename("a"), right.rename("b")], axis=1, join="inner")
        else:  # nothing to pair on: one job per level at most
            joined = pd.DataFrame({"a": [left[metric].mean()], "b": [right[metric].mean()]})
        diffs = (joined["a"] - joined["b"]).to_numpy()
        low, high = bootstrap_interval(diffs, seed=seed)
        rows.append(
            {
                "factor": factor,
                "a": a,
                "b": b,
                "pairs": len(diffs),
                "mean_a": float(joined["a"].mean()) if len(diffs) else math.nan,
                "mean_b": float(joined["b"].mean()) if len(diffs) else math.nan,
                "mean_diff": float(diffs.mean()) if len(diffs) else math.nan,
                "diff_low": low,
                "diff_high": high,
                "p_bootstrap": paired_bootstrap_p(diffs, seed=seed) if len(diffs) > 1 else math.nan,
                "p_wilcoxon": wilcoxon_p(diffs) if len(diffs) > 1 else math.nan,
            }
        )
    return pd.DataFrame(rows)


def with_holm(comparisons: pd.DataFrame) -> pd.DataFrame:
    """Add Holm-corrected p-values over all rows of a comparison table."""
    out = comparisons.copy()
    for column in ("p_bootstrap", "p_wilcoxon"):
        if column in out:
            out[f"{column}_holm"] = holm(out[column].to_numpy()) if len(out) else []
    return out
