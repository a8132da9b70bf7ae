"""Diversity measures: repeated text is maximally redundant, varied text is not."""

from __future__ import annotations

import math

import numpy as np
import pytest

from emoexp.analysis.diversity import (
    cluster_structure,
    distinct_n,
    mean_pairwise_cosine,
    self_bleu,
    sentence_bleu,
)


def test_distinct_n_on_known_texts() -> None:
    texts = ["a b c", "a b d"]
    assert distinct_n(texts, 1) == pytest.approx(4 / 6)
    assert distinct_n(texts, 2) == pytest.approx(3 / 4)  # (a b) twice
    assert distinct_n(texts, 3) == pytest.approx(2 / 2)


def test_identical_texts_have_low_distinct_n_and_self_bleu_one() -> None:
    texts = ["I am so happy about the new job today"] * 20
    assert distinct_n(texts, 1) == pytest.approx(9 / 180)
    assert self_bleu(texts) == pytest.approx(1.0)


def test_varied_texts_have_low_self_bleu() -> None:
    texts = [
        "my cat knocked the vase over again",
        "traffic was terrible this morning on the bridge",
        "we finally booked tickets to lisbon",
        "honestly the soup tasted like dishwater",
        "grandma sent a postcard from the coast",
        "nobody told me the meeting moved",
    ]
    assert self_bleu(texts) < 0.2


def test_sentence_bleu_matches_hand_computation() -> None:
    hyp = ["a", "b", "c", "d"]
    ref = ["a", "b", "c", "e"]
    counts: dict[tuple[str, ...], int] = {}
    for n in range(1, 5):
        for i in range(len(ref) - n + 1):
            counts[tuple(ref[i : i + n])] = 1
    # precisions 3/4, 2/3, 1/2 and 0/1 smoothed to 0.1/1; equal lengths: no brevity penalty
    expected = (0.75 * (2 / 3) * 0.5 * 0.1) ** 0.25
    assert sentence_bleu(hyp, counts, ref_length=4) == pytest.approx(expected)


def test_self_bleu_samples_deterministically() -> None:
    texts = [f"text number {i} about feelings {i % 7}" for i in range(100)]
    assert self_bleu(texts, sample_size=30, seed=1) == self_bleu(texts, sample_size=30, seed=1)


def test_mean_pairwise_cosine() -> None:
    assert mean_pairwise_cosine(np.eye(4)) == pytest.approx(0.0)
    assert mean_pairwise_cosine(np.ones((5, 3))) == pytest.approx(1.0)
    x = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0]])
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    sims = unit @ unit.T
    assert mean_pairwise_cosine(x) == pytest.approx(sims[np.triu_indices(3, 1)].mean())


def test_cluster_structure_sees_two_separated_modes() -> None:
    rng = np.random.default_rng(0)
    blobs = np.concatenate([rng.normal(0, 0.1, (50, 4)), rng.normal(5, 0.1, (50, 4))])
    result = cluster_structure(blobs, n_clusters=2)
    assert result["silhouette"] > 0.9
    assert result["cluster_entropy"] == pytest.approx(1.0)


def test_cluster_structure_of_identical_rows_is_undefined_not_an_error() -> None:
    result = cluster_structure(np.ones((20, 3)), n_clusters=4)
    assert math.isnan(result["silhouette"])


def test_self_bleu_matches_sacrebleu() -> None:
    """The hand-written self-BLEU (about 20x faster: references summarised once) against
    sacrebleu's sentence BLEU with the same tokens, floor smoothing 0.1 and effective order."""
    sacrebleu = pytest.importorskip("sacrebleu")
    from emoexp.text.tokenize import words as tokenize

    rng = np.random.default_rng(0)
    words = ["i", "feel", "so", "happy", "today", "the", "cat", "sat", "on", "mat", "and", "we"]
    words += ["were", "sad", "angry", "about", "it"]
    texts = [" ".join(rng.choice(words, rng.integers(3, 12))) for _ in range(40)]
    tokenised = [" ".join(tokenize(text)) for text in texts]
    bleu = sacrebleu.metrics.BLEU(
        tokenize="none", smooth_method="floor", smooth_value=0.1, effective_order=True
    )
    reference = np.mean(
        [
            bleu.sentence_score(hyp, tokenised[:i] + tokenised[i + 1 :]).score / 100
            for i, hyp in enumerate(tokenised)
        ]
    )
    assert self_bleu(texts, sample_size=100) == pytest.approx(reference)
