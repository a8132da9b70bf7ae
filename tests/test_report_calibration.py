"""The report's tests hold their level and have the power they claim, checked by simulation.

Null sweeps draw both arms from one distribution; a test at alpha may reject at most
alpha of them, up to binomial noise (the 99.9th percentile of Binomial(sweeps, alpha)).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as scipy_stats

from emoexp.report.instance_tests import PairedRun, mcnemar_pooled, randomization_test
from emoexp.report.stats import compare_pair, paired_t_power, sign_flip_p

ALPHA = 0.05


def _max_false_positives(sweeps: int, alpha: float = ALPHA) -> int:
    return int(scipy_stats.binom.ppf(0.999, sweeps, alpha))


def _null_differences(sweeps: int, seeds: int, rng: np.random.Generator) -> np.ndarray:
    """Per-seed metric differences of two arms with the same distribution: a seed effect
    shared by both arms (cancels in the difference) plus each arm's own run noise."""
    seed_effect = rng.normal(0.40, 0.02, size=(sweeps, seeds))
    arm_a = seed_effect + rng.normal(0, 0.01, size=(sweeps, seeds))
    arm_b = seed_effect + rng.normal(0, 0.01, size=(sweeps, seeds))
    return arm_a - arm_b


@pytest.mark.parametrize("seeds", [3, 5, 10])
def test_seed_level_tests_hold_their_level(seeds: int) -> None:
    rng = np.random.default_rng(seeds)
    sweeps = 400
    diffs = _null_differences(sweeps, seeds, rng)
    rows = [compare_pair(d, ALPHA, min_effect=0.01, seed=i) for i, d in enumerate(diffs)]
    t_rejections = sum(row["p_t"] < ALPHA for row in rows)
    flip_rejections = sum(row["p_sign_flip"] < ALPHA for row in rows)
    assert t_rejections <= _max_false_positives(sweeps)
    assert flip_rejections <= _max_false_positives(sweeps)
    # and the t-test is not trivially conservative: it uses its level
    assert t_rejections >= int(scipy_stats.binom.ppf(0.001, sweeps, ALPHA))


def test_sign_flip_is_exact_for_three_same_sign_differences() -> None:
    # a bootstrap over three differences of one sign called this p = 0.0005
    assert sign_flip_p([0.010, 0.020, 0.015]) == pytest.approx(0.25)
    assert sign_flip_p([0.01] * 5) == pytest.approx(0.0625)


def test_paired_t_detects_a_stated_effect_with_the_stated_power() -> None:
    """A 0.01 gain with 0.01 SD of the per-seed differences (d_z = 1) over 10 seeds: the
    noncentral-t power is 0.80; simulated sweeps must reject that often."""
    seeds, sweeps, effect, sd = 10, 800, 0.01, 0.01
    stated = paired_t_power(seeds, effect, sd, ALPHA)
    assert stated == pytest.approx(0.80, abs=0.02)
    rng = np.random.default_rng(7)
    diffs = rng.normal(effect, sd, size=(sweeps, seeds))
    rejected = int(np.sum(scipy_stats.ttest_1samp(diffs, 0.0, axis=1).pvalue < ALPHA))
    low, high = scipy_stats.binom.ppf([0.001, 0.999], sweeps, stated)
    assert low <= rejected <= high


def _null_run(rng: np.random.Generator, rows: int = 150, labels: int = 4) -> PairedRun:
    """Two models whose scores for each row come from the same distribution given the gold."""
    gold = rng.random((rows, labels)) < 0.25
    signal = gold * 1.2
    probs = [
        1 / (1 + np.exp(-(signal - 0.8 + rng.normal(0, 1, size=gold.shape)))) for _ in range(2)
    ]
    return PairedRun(probs[0].astype(np.float16).astype(np.float32),
                     probs[1].astype(np.float16).astype(np.float32), gold)  # fmt: skip


@pytest.mark.parametrize(
    ("metric", "seeds"),
    [("ap_micro", 1), pytest.param("ap_micro", 2, marks=pytest.mark.slow), ("f1_micro", 2)],
)
def test_instance_level_randomisation_holds_its_level(metric: str, seeds: int) -> None:
    rng = np.random.default_rng(11 + seeds)
    sweeps = 200
    rejected = 0
    for sweep in range(sweeps):
        runs = [_null_run(rng, rows=100) for _ in range(seeds)]
        result = randomization_test(runs, metric, resamples=199, seed=sweep, bootstrap=False)
        rejected += result["p"] < ALPHA
    assert rejected <= _max_false_positives(sweeps)


def test_mcnemar_pooled_holds_its_level() -> None:
    rng = np.random.default_rng(5)
    sweeps = 1000
    rejected = 0
    for _ in range(sweeps):
        correct = rng.random((2, 3, 200)) < 0.6  # arm x seed x row, same accuracy
        rejected += mcnemar_pooled(list(correct[0]), list(correct[1]))["p"] < ALPHA
    assert rejected <= _max_false_positives(sweeps)


@pytest.mark.slow
def test_instance_level_test_detects_a_better_model() -> None:
    """Model a sees the gold signal more sharply (AP-micro about 0.05 higher on 300 rows)."""
    rng = np.random.default_rng(3)
    rejected, sweeps = 0, 60
    for sweep in range(sweeps):
        gold = rng.random((300, 4)) < 0.25
        noise_a, noise_b = rng.normal(0, 1, size=(2, *gold.shape))
        probs_a = 1 / (1 + np.exp(-(gold * 1.6 - 0.8 + noise_a)))
        probs_b = 1 / (1 + np.exp(-(gold * 1.2 - 0.8 + noise_b)))
        run = PairedRun(probs_a, probs_b, gold)
        result = randomization_test([run], "ap_micro", resamples=199, seed=sweep, bootstrap=False)
        rejected += result["p"] < ALPHA and result["statistic"] > 0
    assert rejected / sweeps >= 0.8
