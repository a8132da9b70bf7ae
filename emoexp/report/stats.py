"""Confidence intervals over seeds and paired tests between configurations that hold their level.

A difference between two configurations is only worth reporting when it survives the
seed-to-seed noise. Jobs are paired on the seed (and stratified on every other swept key), the
paired differences are tested with a paired t-test and an exact sign-flip permutation test
(`scipy.stats`), and each comparison carries its effect (mean difference, its t-interval and
Cohen's d_z). A bootstrap p-value over a handful of seeds does not hold its level (it called
same-distribution arms different in about 29 % of 3-seed sweeps at alpha 0.05), so it is not
used. The smallest p-value the sign-flip test can reach with n pairs is 2 / 2^n: with 5 seeds
it is 0.0625, and the report says so when that is above the experiment's alpha.
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
# the sign-flip test enumerates all 2^n sign vectors up to this n, then samples them
EXACT_SIGN_FLIP_MAX_PAIRS = 16
SIGN_FLIP_RESAMPLES = 20_000
# a comparison whose test would detect the plausible effect less often than this is underpowered
TARGET_POWER = 0.8
MAX_PAIRS = 2000
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
    """Percentile bootstrap interval of the mean (descriptive; too narrow for a few seeds)."""
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
    return {
        "n": float(len(array)),
        "mean": float(array.mean()) if len(array) else math.nan,
        "std": float(array.std(ddof=1)) if len(array) > 1 else math.nan,
        "t_low": t_low,
        "t_high": t_high,
    }


def min_sign_flip_p(pairs: int) -> float:
    """The smallest two-sided p-value an exact sign-flip test over `pairs` pairs can give."""
    return min(1.0, 2.0 / 2**pairs) if pairs > 0 else math.nan


def pairs_needed(alpha: float) -> int:
    """Fewest pairs with which the exact sign-flip test can reach `alpha` at all."""
    return max(1, math.ceil(1 - math.log2(alpha)))


def sign_flip_p(differences: Sequence[float] | np.ndarray, seed: int = 0) -> float:
    """Two-sided p-value of a zero mean difference by flipping the signs of the differences:
    exact (all 2^n sign vectors) up to EXACT_SIGN_FLIP_MAX_PAIRS pairs, sampled above."""
    diffs = np.asarray(differences, dtype=float)
    if len(diffs) == 0:
        return math.nan
    if np.all(diffs == 0) or len(diffs) == 1:
        return 1.0  # one pair: both sign vectors are as extreme as the observed one
    result = scipy_stats.permutation_test(
        (diffs,),
        np.mean,
        permutation_type="samples",
        vectorized=True,
        n_resamples=(math.inf if len(diffs) <= EXACT_SIGN_FLIP_MAX_PAIRS else SIGN_FLIP_RESAMPLES),
        alternative="two-sided",
        rng=np.random.default_rng(seed),
    )
    return float(result.pvalue)


def paired_t(
    differences: Sequence[float] | np.ndarray, confidence: float = 0.95
) -> dict[str, float]:
    """Paired t-test on the differences: statistic, p-value, the mean difference's t-interval
    and Cohen's d_z (mean over standard deviation of the differences)."""
    diffs = np.asarray(differences, dtype=float)
    nan = {"t": math.nan, "p_t": math.nan, "ci_low": math.nan, "ci_high": math.nan}
    if len(diffs) < 2:
        return {**nan, "d_z": math.nan}
    sd = float(diffs.std(ddof=1))
    if sd <= 1e-12 * max(1.0, abs(float(diffs.mean()))):
        # identical differences (rounding aside): the t statistic is undefined, not infinite
        mean = float(diffs.mean())
        return {"t": math.nan, "p_t": math.nan, "ci_low": mean, "ci_high": mean, "d_z": math.nan}
    result = scipy_stats.ttest_1samp(diffs, 0.0)
    interval = result.confidence_interval(confidence)
    return {
        "t": float(result.statistic),
        "p_t": float(result.pvalue),
        "ci_low": float(interval.low),
        "ci_high": float(interval.high),
        "d_z": float(diffs.mean() / sd),
    }


def paired_t_power(
    pairs: int | np.ndarray, effect: float, sd: float, alpha: float
) -> float | np.ndarray:
    """Power of the two-sided paired t-test to detect a true mean difference `effect` when the
    differences have standard deviation `sd` (noncentral t); vectorised over `pairs`."""
    n = np.asarray(pairs, dtype=float)
    if not sd > 0 or math.isnan(effect):
        return math.nan if n.ndim == 0 else np.full(n.shape, math.nan)
    df = np.maximum(n - 1, 1)
    noncentrality = abs(effect) / sd * np.sqrt(n)
    critical = scipy_stats.t.ppf(1 - alpha / 2, df)
    # the far tail underflows to NaN in scipy for large noncentrality: it is then ~0
    far_tail = np.nan_to_num(scipy_stats.nct.cdf(-critical, df, noncentrality), nan=0.0)
    power = scipy_stats.nct.sf(critical, df, noncentrality) + far_tail
    power = np.where(n >= 2, power, np.nan)
    return float(power) if power.ndim == 0 else power


def pairs_for_power(effect: float, sd: float, alpha: float, power: float = TARGET_POWER) -> int:
    """Fewest pairs with which the paired t-test reaches `power` (0 if unknown; MAX_PAIRS + 1
    if even MAX_PAIRS do not); power grows with the pairs, so a bisection finds it."""
    if not sd > 0 or not abs(effect) > 0:
        return 0
    if paired_t_power(MAX_PAIRS, effect, sd, alpha) < power:
        return MAX_PAIRS + 1
    low, high = 1, MAX_PAIRS  # power(low) < target <= power(high)
    while high - low > 1:
        middle = (low + high) // 2
        if middle >= 2 and paired_t_power(middle, effect, sd, alpha) >= power:
            high = middle
        else:
            low = middle
    return high


def holm(pvalues: Sequence[float]) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (NaNs stay NaN and do not count as tests)."""
    p = np.asarray(pvalues, dtype=float)
    adjusted = np.full_like(p, np.nan)
    valid = np.flatnonzero(~np.isnan(p))
    order = valid[np.argsort(p[valid], kind="stable")]
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
    """Mean and 95 % t-interval of `metric` per configuration, over its jobs (seeds)."""
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


def compare_pair(
    diffs: np.ndarray,
    alpha: float,
    min_effect: float | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Every figure of one seed-level comparison from its paired differences (a - b)."""
    pairs = len(diffs)
    t_result = paired_t(diffs)
    sd = float(np.std(diffs, ddof=1)) if pairs > 1 else math.nan
    row: dict[str, Any] = {
        "n": pairs,
        "mean_diff": float(diffs.mean()) if pairs else math.nan,
        **t_result,
        "p_sign_flip": sign_flip_p(diffs, seed) if pairs > 0 else math.nan,
        "min_p_sign_flip": min_sign_flip_p(pairs),
    }
    effect = min_effect if min_effect is not None else math.nan
    row["power_at_min_effect"] = float(paired_t_power(pairs, effect, sd, alpha))
    row["pairs_needed"] = pairs_for_power(effect, sd, alpha) if min_effect else 0
    return row


def paired_comparisons(
    frame: pd.DataFrame,
    metric: str,
    factor: str,
    pair_on: Sequence[str],
    within: Sequence[str] = (),
    alpha: float = 0.05,
    min_effect: float | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Every pair of `factor`'s levels compared on jobs that agree on all of `pair_on`,
    separately within each combination of `within` (e.g. one test per seed size).

    Jobs agreeing on every `pair_on` key are averaged into one value before pairing. One row
    per (stratum, a, b): n pairs, means, mean difference (a - b), paired t (statistic, p, CI,
    d_z), the exact sign-flip p and the smallest p it can reach, and the paired t-test's power
    at `min_effect` (uncorrected; see `with_holm`).
    """
    data = frame.dropna(subset=[metric]).copy()
    data[factor] = _levels(data[factor])
    within = [key for key in within if key != factor]
    pair_on = [key for key in pair_on if key != factor and key not in within]
    for key in (*pair_on, *within):
        data[key] = _levels(data[key])
    rows: list[dict[str, Any]] = []
    strata: list[tuple[tuple[Any, ...], pd.DataFrame]] = (
        [((), data)]
        if not within
        else [
            (key if isinstance(key, tuple) else (key,), group)
            for key, group in data.groupby(list(within), sort=False)
        ]
    )
    strata.sort(key=lambda item: [_level_order(value) for value in item[0]])
    for stratum, subset in strata:
        levels = sorted(subset[factor].unique(), key=_level_order)
        for a, b in itertools.combinations(levels, 2):
            left = subset[subset[factor] == a]
            right = subset[subset[factor] == b]
            if pair_on:
                joined = pd.concat(
                    [
                        left.groupby(pair_on, sort=False)[metric].mean().rename("a"),
                        right.groupby(pair_on, sort=False)[metric].mean().rename("b"),
                    ],
                    axis=1,
                    join="inner",
                )
            else:  # nothing to pair on: one job per level at most
                joined = pd.DataFrame({"a": [left[metric].mean()], "b": [right[metric].mean()]})
            diffs = (joined["a"] - joined["b"]).to_numpy(dtype=float)
            rows.append(
                {
                    "metric": metric,
                    "factor": factor,
                    **dict(zip(within, stratum, strict=True)),
                    "a": a,
                    "b": b,
                    "mean_a": float(joined["a"].mean()) if len(diffs) else math.nan,
                    "mean_b": float(joined["b"].mean()) if len(diffs) else math.nan,
                    **compare_pair(diffs, alpha, min_effect, seed),
                }
            )
    return pd.DataFrame(rows)


def with_holm(comparisons: pd.DataFrame, column: str = "p_t") -> pd.DataFrame:
    """Add Holm-corrected p-values over all rows of a comparison table (one family)."""
    out = comparisons.copy()
    for name in (column, "p_sign_flip"):
        if name in out:
            out[f"{name}_holm"] = holm(out[name].to_numpy()) if len(out) else []
    return out
