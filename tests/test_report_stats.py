"""Intervals, paired tests and Holm correction against values worked out independently."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from emoexp.report.stats import (
    bootstrap_interval,
    group_summary,
    holm,
    mean_ci,
    min_sign_flip_p,
    paired_comparisons,
    paired_t,
    pairs_for_power,
    pairs_needed,
    sign_flip_p,
    t_interval,
    with_holm,
)


def test_t_interval_matches_the_textbook_formula() -> None:
    values = [0.50, 0.52, 0.47, 0.55, 0.51]
    mean = np.mean(values)
    half = scipy_stats.t.ppf(0.975, 4) * np.std(values, ddof=1) / math.sqrt(5)
    assert t_interval(values) == pytest.approx((mean - half, mean + half))


def test_bootstrap_interval_contains_the_mean_and_is_reproducible() -> None:
    values = [0.50, 0.52, 0.47, 0.55, 0.51]
    low, high = bootstrap_interval(values, seed=3)
    assert low < np.mean(values) < high
    assert (low, high) == bootstrap_interval(values, seed=3)
    assert min(values) <= low and high <= max(values)


def test_single_value_has_no_interval() -> None:
    summary = mean_ci([0.4])
    assert summary["mean"] == 0.4 and math.isnan(summary["t_low"])


def test_holm_adjustment() -> None:
    # sorted 0.01, 0.03, 0.04 -> 3*0.01, 2*0.03, max(0.06, 1*0.04)
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    adjusted = holm([0.5, float("nan"), 0.6])
    assert adjusted[0] == pytest.approx(1.0) and math.isnan(adjusted[1])


def test_paired_tests_detect_a_consistent_difference() -> None:
    diffs = [0.031, 0.029, 0.035, 0.027, 0.033, 0.030, 0.028, 0.032]
    result = paired_t(diffs)
    reference = scipy_stats.ttest_rel(np.array(diffs) + 0.4, np.full(8, 0.4))
    assert result["p_t"] == pytest.approx(reference.pvalue) and result["p_t"] < 0.001
    assert result["ci_low"] < np.mean(diffs) < result["ci_high"]
    assert result["d_z"] == pytest.approx(np.mean(diffs) / np.std(diffs, ddof=1))
    # all eight differences positive: exactly 2 of the 256 sign vectors are as extreme
    assert sign_flip_p(diffs) == pytest.approx(2 / 256)
    assert sign_flip_p([0.0, 0.0, 0.0]) == 1.0
    assert sign_flip_p([0.02]) == 1.0  # one seed: nothing to test
    assert sign_flip_p([0.01, -0.01, 0.02, -0.02]) > 0.5


def test_smallest_reachable_p_and_seeds_needed() -> None:
    assert min_sign_flip_p(5) == pytest.approx(0.0625)
    assert pairs_needed(0.05) == 6 and pairs_needed(0.01) == 8
    assert pairs_for_power(0.01, 0.01, 0.05) == 10  # d_z = 1 at 80 % power


def _sweep_frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for size in (50, 200):
        for seed in range(6):
            noise = rng.normal(0, 0.01)  # shared by both strategies of one seed: pairing helps
            for gen, gain in (("naive", 0.0), ("shap", 0.02)):
                rows.append(
                    {
                        "gen": gen,
                        "data.seed_size": size,
                        "seed": seed,
                        "m": 0.4 + gain + noise + rng.normal(0, 0.002),
                    }
                )
    return pd.DataFrame(rows)


def test_paired_comparisons_pair_on_seed_and_other_keys() -> None:
    frame = _sweep_frame()
    table = paired_comparisons(frame, "m", "gen", ["data.seed_size", "seed"])
    row = table.iloc[0]
    assert (row["a"], row["b"], row["n"]) == ("naive", "shap", 12)
    assert row["mean_diff"] == pytest.approx(-0.02, abs=0.003)
    assert row["ci_low"] < row["mean_diff"] < row["ci_high"] < 0
    assert row["p_t"] < 0.01 and row["p_sign_flip"] < 0.01
    # numeric levels compare in numeric order (50 before 200)
    sizes = paired_comparisons(frame, "m", "data.seed_size", ["gen", "seed"])
    assert sizes.iloc[0]["a"] == 50 and sizes.iloc[0]["n"] == 12


def test_with_holm_adds_corrected_columns() -> None:
    frame = _sweep_frame()
    table = with_holm(
        pd.concat(
            [
                paired_comparisons(frame, "m", "gen", ["data.seed_size", "seed"]),
                paired_comparisons(frame, "m", "data.seed_size", ["gen", "seed"]),
            ]
        )
    )
    assert np.all(table["p_t_holm"] >= table["p_t"])
    assert np.all(table["p_sign_flip_holm"] >= table["p_sign_flip"])


def test_paired_comparisons_within_strata() -> None:
    table = paired_comparisons(_sweep_frame(), "m", "gen", ["seed"], within=["data.seed_size"])
    assert table["data.seed_size"].tolist() == [50, 200]
    assert table["n"].tolist() == [6, 6]
    assert table["p_sign_flip"].tolist() == pytest.approx([2 / 64, 2 / 64])


def test_group_summary_per_configuration() -> None:
    frame = _sweep_frame()
    summary = group_summary(frame, "m", ["gen", "data.seed_size"])
    assert len(summary) == 4 and set(summary["n"]) == {6.0}
    shap_50 = frame[(frame["gen"] == "shap") & (frame["data.seed_size"] == 50)]["m"]
    row = summary[(summary["gen"] == "shap") & (summary["data.seed_size"] == 50)].iloc[0]
    assert row["mean"] == pytest.approx(shap_50.mean())
