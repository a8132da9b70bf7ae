"""A TF-IDF + one-vs-rest logistic-regression surrogate of the emotion task.

It is linear, so SHAP explains it exactly and in milliseconds, and it is trained on the real
seed rows only, so it doubles as the label-consistency judge for synthetic rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from emoexp.explain.config import SurrogateConfig


@dataclass
class Surrogate:
    """A fitted vectorizer and one binary logistic regression per class.

    Classes with no positive (or no negative) seed example cannot be fitted: `fitted[c]` is
    False for them, their weights are zero and their probability is the seed base rate.
    """

    labels: tuple[str, ...]
    vectorizer: TfidfVectorizer
    coef: np.ndarray  # [num_labels, vocab]
    intercept: np.ndarray  # [num_labels]
    fitted: np.ndarray  # [num_labels] bool
    positives: np.ndarray  # [num_labels] seed examples per class
    min_df: int  # the min_df actually used (lowered to 1 on seeds too small for the config's)

    @property
    def feature_names(self) -> np.ndarray:
        return self.vectorizer.get_feature_names_out()

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        return self.vectorizer.transform(list(texts)).tocsr()

    def decision_function(self, matrix: sp.csr_matrix) -> np.ndarray:
        return np.asarray(matrix @ self.coef.T) + self.intercept

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Independent per-class probabilities [n, num_labels] (multi-label, not softmax)."""
        logits = self.decision_function(self.transform(texts))
        return 1.0 / (1.0 + np.exp(-logits))


def stop_word_list(cfg: SurrogateConfig) -> list[str] | None:
    if cfg.stop_words not in ("english", "none"):
        raise ValueError(
            f"explain.surrogate.stop_words must be 'english' or 'none', got {cfg.stop_words!r}"
        )
    words = set(ENGLISH_STOP_WORDS) if cfg.stop_words == "english" else set()
    words |= {word.lower() for word in cfg.extra_stop_words}
    return sorted(words) or None


def label_matrix(labels_per_row: Sequence[Sequence[str]], labels: Sequence[str]) -> np.ndarray:
    """Multi-hot targets from label names; a name outside the label set is an error."""
    index = {label: i for i, label in enumerate(labels)}
    targets = np.zeros((len(labels_per_row), len(labels)), dtype=np.int8)
    for row, names in enumerate(labels_per_row):
        for name in names:
            if name not in index:
                raise ValueError(
                    f"row {row}: label {name!r} is not in the label set {list(labels)}"
                )
            targets[row, index[name]] = 1
    return targets


def fit_surrogate(
    texts: Sequence[str],
    targets: np.ndarray,
    labels: Sequence[str],
    cfg: SurrogateConfig,
    min_df: int,
) -> Surrogate:
    """Fit the vectorizer on `texts` and one logistic regression per label column."""
    if len(texts) == 0:
        raise ValueError("cannot fit the surrogate on an empty seed set")
    # min_df larger than the corpus would leave no vocabulary; small seeds fall back to 1
    effective_min_df = min_df if len(texts) >= min_df * 5 else 1
    vectorizer = TfidfVectorizer(
        lowercase=True,
        stop_words=stop_word_list(cfg),
        token_pattern=cfg.token_pattern,
        min_df=effective_min_df,
        max_features=cfg.max_features,
        sublinear_tf=True,
    )
    matrix = vectorizer.fit_transform(list(texts)).tocsr()
    num_labels = len(labels)
    coef = np.zeros((num_labels, matrix.shape[1]))
    intercept = np.zeros(num_labels)
    fitted = np.zeros(num_labels, dtype=bool)
    positives = targets.sum(axis=0).astype(int)
    for column in range(num_labels):
        y = targets[:, column]
        if 0 < positives[column] < len(y):
            model = LogisticRegression(
                C=cfg.C, class_weight=cfg.class_weight, max_iter=cfg.max_iter, solver="liblinear"
            )
            model.fit(matrix, y)
            coef[column] = model.coef_[0]
            intercept[column] = model.intercept_[0]
            fitted[column] = True
        else:
            rate = np.clip(positives[column] / len(y), 1e-6, 1 - 1e-6)
            intercept[column] = np.log(rate / (1 - rate))
    return Surrogate(
        labels=tuple(labels),
        vectorizer=vectorizer,
        coef=coef,
        intercept=intercept,
        fitted=fitted,
        positives=positives,
        min_df=effective_min_df,
    )
