"""Exact SHAP values of the linear surrogate and the per-class keyword ranking."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import shap

from emoexp.explain.surrogate import Surrogate

# rows explained per call: bounds the dense [rows, vocab] SHAP block to a few tens of MB
CHUNK_ROWS = 512


def class_mean_shap(
    surrogate: Surrogate, column: int, background: sp.csr_matrix, members: sp.csr_matrix
) -> np.ndarray:
    """Mean SHAP value per word [vocab] over a class's member rows, where a word absent
    from a text contributes 0 to it.

    With an independent masker an absent word still gets coef * (0 - mean), so words that
    count *against* a class (say "love" for anger) would rank high merely by being missing;
    a generation prompt needs words the class's texts actually use.
    """
    explainer = shap.LinearExplainer(
        (surrogate.coef[column], surrogate.intercept[column]), background
    )
    total = np.zeros(members.shape[1])
    for start in range(0, members.shape[0], CHUNK_ROWS):
        chunk = members[start : start + CHUNK_ROWS]
        values = np.asarray(explainer.shap_values(chunk)).reshape(chunk.shape[0], -1)
        present = chunk.toarray() != 0
        total += np.where(present, values, 0.0).sum(axis=0)
    return total / max(members.shape[0], 1)


def top_positive(
    mean: np.ndarray, feature_names: np.ndarray, top_k: int
) -> list[tuple[str, float]]:
    """The `top_k` words with the largest positive mean SHAP; words with mean <= 0 never
    qualify, since they push the class's own texts away from it."""
    order = np.argsort(-mean, kind="stable")[:top_k]
    return [(str(feature_names[i]), float(mean[i])) for i in order if mean[i] > 0]


def rank_keywords(
    surrogate: Surrogate, matrix: sp.csr_matrix, targets: np.ndarray, top_k: int
) -> list[list[tuple[str, float]]]:
    """Per class, rank the words its texts use by mean SHAP over that class's examples.

    Averaging over the class's own examples asks "what pushes these texts towards their
    label", not "what distinguishes any text". Unfitted classes (no seed example) get [].
    """
    names = surrogate.feature_names
    ranked: list[list[tuple[str, float]]] = []
    for column in range(targets.shape[1]):
        member_rows = np.flatnonzero(targets[:, column])
        if not surrogate.fitted[column] or member_rows.size == 0:
            ranked.append([])
            continue
        mean = class_mean_shap(surrogate, column, matrix, matrix[member_rows])
        ranked.append(top_positive(mean, names, top_k))
    return ranked
