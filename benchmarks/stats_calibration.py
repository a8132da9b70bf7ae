"""False-positive rates and power of the sweep report's tests, by simulation.

    python benchmarks/stats_calibration.py [--sweeps 2000] [--instance-sweeps 400]

Null sweeps draw both arms from one distribution (a seed effect shared by both arms plus each
arm's own run noise); the rate at which a test calls them different should be at most alpha.
Power sweeps add a stated true difference. Prints one line per test and setting.
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy import stats as scipy_stats

from emoexp.report.instance_tests import PairedRun, mcnemar_pooled, randomization_test
from emoexp.report.stats import paired_t_power, sign_flip_p

ALPHA = 0.05


def _interval(hits: int, n: int) -> str:
    low, high = scipy_stats.binomtest(hits, n).proportion_ci(0.95)
    return f"{hits / n:.3f} [{low:.3f}, {high:.3f}] ({hits}/{n})"


def seed_level(sweeps: int) -> None:
    rng = np.random.default_rng(0)
    for seeds in (3, 5, 10):
        shared = rng.normal(0.4, 0.02, size=(sweeps, seeds))
        diffs = (shared + rng.normal(0, 0.01, (sweeps, seeds))) - (
            shared + rng.normal(0, 0.01, (sweeps, seeds))
        )
        t_hits = int(np.sum(scipy_stats.ttest_1samp(diffs, 0.0, axis=1).pvalue < ALPHA))
        flip_hits = sum(sign_flip_p(row, seed=i) < ALPHA for i, row in enumerate(diffs))
        print(f"null, {seeds:2d} seeds, paired t:  {_interval(t_hits, sweeps)}")
        print(f"null, {seeds:2d} seeds, sign-flip: {_interval(flip_hits, sweeps)}")
    for seeds in (5, 10):
        effect, sd = 0.01, 0.01
        diffs = rng.normal(effect, sd, size=(sweeps, seeds))
        hits = int(np.sum(scipy_stats.ttest_1samp(diffs, 0.0, axis=1).pvalue < ALPHA))
        stated = paired_t_power(seeds, effect, sd, ALPHA)
        print(
            f"power, {seeds:2d} seeds, gain 0.01, SD of differences 0.01: stated {stated:.3f}, "
            f"simulated {_interval(hits, sweeps)}"
        )


def _run(rng: np.random.Generator, rows: int, gain_a: float = 0.0) -> PairedRun:
    gold = rng.random((rows, 6)) < 0.2
    probs = [
        1 / (1 + np.exp(-(gold * (1.2 + gain) - 0.8 + rng.normal(0, 1, gold.shape))))
        for gain in (gain_a, 0.0)
    ]
    return PairedRun(probs[0].astype(np.float16).astype(np.float32),
                     probs[1].astype(np.float16).astype(np.float32), gold)  # fmt: skip


def instance_level(sweeps: int) -> None:
    rng = np.random.default_rng(1)
    for metric, seeds in (("ap_micro", 1), ("ap_micro", 3), ("f1_micro", 3)):
        hits = 0
        for sweep in range(sweeps):
            runs = [_run(rng, 300) for _ in range(seeds)]
            hits += randomization_test(runs, metric, 499, seed=sweep, bootstrap=False)["p"] < ALPHA
        print(f"null, per example, {metric}, {seeds} seed(s), 300 rows: {_interval(hits, sweeps)}")
    hits = 0
    for _ in range(sweeps * 5):
        correct = rng.random((2, 3, 300)) < 0.6
        hits += mcnemar_pooled(list(correct[0]), list(correct[1]))["p"] < ALPHA
    print(f"null, per example, McNemar, 3 seeds, 300 rows: {_interval(hits, sweeps * 5)}")
    hits = 0
    gaps = []
    for sweep in range(sweeps // 2):
        runs = [_run(rng, 300, gain_a=0.4) for _ in range(3)]
        result = randomization_test(runs, "ap_micro", 499, seed=sweep, bootstrap=False)
        gaps.append(result["statistic"])
        hits += result["p"] < ALPHA and result["statistic"] > 0
    print(
        f"power, per example, ap_micro, 3 seeds x 300 rows, true AP gain about "
        f"{np.mean(gaps):.3f}: {_interval(hits, sweeps // 2)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweeps", type=int, default=2000)
    parser.add_argument("--instance-sweeps", type=int, default=400)
    args = parser.parse_args()
    seed_level(args.sweeps)
    instance_level(args.instance_sweeps)


if __name__ == "__main__":
    main()
