"""How far synthetic text sits from real text in embedding space.

Three views that fail differently: the Fréchet distance compares the first two moments, MAUVE
compares the quantised densities (it sees missing modes), and a classifier two-sample test
asks whether any linear direction tells the sides apart (AUC 0.5 = indistinguishable).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg
from sklearn.cluster import KMeans
from sklearn.covariance import LedoitWolf
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score

MAUVE_SCALING = 5.0
MAUVE_MIXTURES = 25


def _covariance(x: np.ndarray, shrinkage: bool) -> np.ndarray:
    if shrinkage:
        return LedoitWolf().fit(x).covariance_
    return np.atleast_2d(np.cov(x, rowvar=False))


def frechet_distance(real: np.ndarray, synthetic: np.ndarray, shrinkage: bool = True) -> float:
    """||mu_r - mu_s||^2 + Tr(C_r + C_s - 2 (C_r C_s)^1/2).

    Ledoit-Wolf shrinkage keeps the covariances well conditioned when a side has fewer rows
    than dimensions, which is the usual case for a small synthetic set.
    """
    mean_gap = real.mean(axis=0) - synthetic.mean(axis=0)
    cov_r = _covariance(real, shrinkage)
    cov_s = _covariance(synthetic, shrinkage)
    root = linalg.sqrtm(cov_r @ cov_s)
    root = np.real(root)
    value = mean_gap @ mean_gap + np.trace(cov_r) + np.trace(cov_s) - 2 * np.trace(root)
    return float(max(value, 0.0))


def _kl(p: np.ndarray, q: np.ndarray) -> float:
    support = p > 0
    if np.any(q[support] == 0):
        return float("inf")
    return float(np.sum(p[support] * np.log(p[support] / q[support])))


def mauve(
    real: np.ndarray, synthetic: np.ndarray, buckets: int = 0, seed: int = 0
) -> dict[str, float]:
    """MAUVE (Pillutla et al. 2021): area under the divergence frontier of the two sides'
    histograms over k-means buckets of their joint embeddings (PCA to 90 % variance first).

    1.0 = the same distribution; near 0 = each side puts its mass where the other has none.
    """
    joint = np.concatenate([real, synthetic])
    k = buckets or max(2, len(joint) // 10)
    k = min(k, len(joint))
    pca = (
        PCA(n_components=0.9, svd_solver="full", random_state=seed) if joint.shape[1] > 1 else None
    )
    reduced = pca.fit_transform(joint) if pca is not None else joint
    with warnings.catch_warnings():  # duplicate texts give fewer distinct clusters: expected
        warnings.simplefilter("ignore", ConvergenceWarning)
        labels = KMeans(n_clusters=k, n_init=3, random_state=seed).fit_predict(reduced)
    p = np.bincount(labels[len(real) :], minlength=k) / len(synthetic)
    q = np.bincount(labels[: len(real)], minlength=k) / len(real)
    points = [(0.0, 1.0)]  # the frontier's extreme points
    for weight in np.linspace(1e-6, 1 - 1e-6, MAUVE_MIXTURES):
        mixture = weight * p + (1 - weight) * q
        points.append(
            (np.exp(-MAUVE_SCALING * _kl(p, mixture)), np.exp(-MAUVE_SCALING * _kl(q, mixture)))
        )
    points.append((1.0, 0.0))
    # along x, and downward where x ties, so the area is that of the frontier itself
    xs, ys = np.array(sorted(points, key=lambda point: (point[0], -point[1]))).T
    area = float(np.sum((xs[1:] - xs[:-1]) * (ys[1:] + ys[:-1]) / 2))
    return {"mauve": area, "mauve_buckets": float(k)}


def two_sample_auc(
    real: np.ndarray, synthetic: np.ndarray, folds: int = 5, seed: int = 0
) -> dict[str, float]:
    """Cross-validated ROC AUC of a logistic regression telling real from synthetic rows.

    The larger side is subsampled to the smaller, so 0.5 means chance, not class balance.
    """
    rng = np.random.default_rng(seed)
    n = min(len(real), len(synthetic))
    folds = min(folds, n)
    if folds < 2:
        return {"two_sample_auc": float("nan"), "two_sample_auc_std": float("nan")}
    real = real[rng.choice(len(real), n, replace=False)]
    synthetic = synthetic[rng.choice(len(synthetic), n, replace=False)]
    x = np.concatenate([real, synthetic])
    y = np.r_[np.zeros(n), np.ones(n)]
    scores = cross_val_score(
        LogisticRegression(max_iter=1000),
        x,
        y,
        scoring="roc_auc",
        cv=StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed),
    )
    return {"two_sample_auc": float(scores.mean()), "two_sample_auc_std": float(scores.std())}


def realism_report(
    real: np.ndarray,
    synthetic: np.ndarray,
    *,
    mauve_buckets: int = 0,
    folds: int = 5,
    seed: int = 0,
) -> dict[str, float]:
    return {
        "frechet_distance": frechet_distance(real, synthetic),
        **mauve(real, synthetic, mauve_buckets, seed),
        **two_sample_auc(real, synthetic, folds, seed),
    }
