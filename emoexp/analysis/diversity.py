"""How varied a corpus is: n-gram distinctness, self-BLEU and embedding-space structure.

Generated text collapses onto a few phrasings; these measures put a number on that collapse
that can be read beside the same numbers for real text.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Sequence

import numpy as np
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import silhouette_score

from emoexp.text.tokenize import words as tokenize

NGram = tuple[str, ...]


def ngrams(tokens: Sequence[str], n: int) -> list[NGram]:
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def distinct_n(texts: Sequence[str], n: int) -> float:
    """Unique n-grams over all n-grams of the corpus (Li et al. 2016)."""
    grams = [gram for text in texts for gram in ngrams(tokenize(text), n)]
    return len(set(grams)) / len(grams) if grams else float("nan")


def _ngram_counts(tokens: Sequence[str], max_n: int) -> Counter[NGram]:
    counts: Counter[NGram] = Counter()
    for n in range(1, max_n + 1):
        counts.update(ngrams(tokens, n))
    return counts


def sentence_bleu(
    hypothesis: Sequence[str],
    max_ref_counts: dict[NGram, int],
    ref_length: int,
    max_n: int = 4,
    epsilon: float = 0.1,
) -> float:
    """BLEU of one tokenised hypothesis against references summarised by the maximum count of
    each n-gram over them (clipping) and the closest reference length (brevity penalty).

    Uses effective order (only n-gram orders the hypothesis has) and adds `epsilon` to zero
    matches, so short texts get a finite, comparable score.
    """
    order = min(max_n, len(hypothesis))
    if order == 0:
        return 0.0
    log_precision = 0.0
    for n in range(1, order + 1):
        hyp_counts = Counter(ngrams(hypothesis, n))
        total = sum(hyp_counts.values())
        matched = sum(min(c, max_ref_counts.get(g, 0)) for g, c in hyp_counts.items())
        log_precision += math.log((matched or epsilon) / total) / order
    length = len(hypothesis)
    brevity = 1.0 if length >= ref_length else math.exp(1 - ref_length / length)
    return brevity * math.exp(log_precision)


def self_bleu(texts: Sequence[str], sample_size: int = 300, seed: int = 0, max_n: int = 4) -> float:
    """Mean BLEU of each sampled text against all other sampled texts (Zhu et al. 2018).

    1.0 means every text repeats the others; real corpora sit far lower. Each n-gram keeps its
    two largest per-text counts, so "the maximum over all texts but this one" costs one lookup.
    """
    rng = np.random.default_rng(seed)
    picked = list(texts)
    if len(picked) > sample_size:
        picked = [picked[i] for i in rng.choice(len(picked), sample_size, replace=False)]
    tokenised = [tokenize(text) for text in picked]
    if len(tokenised) < 2:
        return float("nan")
    best: dict[NGram, tuple[int, int, int]] = {}  # gram -> (top count, its text, runner-up)
    per_text = [_ngram_counts(tokens, max_n) for tokens in tokenised]
    for index, counts in enumerate(per_text):
        for gram, count in counts.items():
            top, owner, second = best.get(gram, (0, -1, 0))
            if count > top:
                best[gram] = (count, index, top)
            elif count > second:
                best[gram] = (top, owner, count)
    lengths = np.array([len(tokens) for tokens in tokenised])
    scores = []
    for index, tokens in enumerate(tokenised):
        if not tokens:
            continue
        others = {
            gram: (best[gram][2] if best[gram][1] == index else best[gram][0])
            for gram in per_text[index]
        }
        other_lengths = np.delete(lengths, index)
        gaps = np.abs(other_lengths - len(tokens))
        ref_length = int(other_lengths[gaps == gaps.min()].min())
        scores.append(sentence_bleu(tokens, others, ref_length, max_n))
    return float(np.mean(scores)) if scores else float("nan")


def mean_pairwise_cosine(embeddings: np.ndarray) -> float:
    """Mean cosine similarity over all pairs of distinct rows, in O(n d)."""
    n = len(embeddings)
    if n < 2:
        return float("nan")
    norms = np.linalg.norm(embeddings, axis=1, keepdims=True)
    unit = embeddings / np.where(norms == 0, 1, norms)
    total = unit.sum(axis=0)
    self_sims = float((unit * unit).sum())
    return float((total @ total - self_sims) / (n * (n - 1)))


def cluster_structure(embeddings: np.ndarray, n_clusters: int, seed: int = 0) -> dict[str, float]:
    """K-means on one side's embeddings: silhouette (how separated its modes are) and the
    normalised entropy of cluster sizes (1 = rows spread evenly, near 0 = one dominant mode)."""
    k = min(n_clusters, len(embeddings) - 1)
    if k < 2:
        return {"silhouette": float("nan"), "cluster_entropy": float("nan"), "clusters": 0.0}
    with warnings.catch_warnings():  # duplicate texts give fewer distinct clusters: expected
        warnings.simplefilter("ignore", ConvergenceWarning)
        assignments = KMeans(n_clusters=k, n_init=3, random_state=seed).fit_predict(embeddings)
    sizes = np.bincount(assignments, minlength=k).astype(float)
    shares = sizes[sizes > 0] / sizes.sum()
    entropy = float(-(shares * np.log(shares)).sum() / math.log(k))
    distinct = len(np.unique(assignments))
    silhouette = (
        float(
            silhouette_score(
                embeddings, assignments, sample_size=min(len(embeddings), 2000), random_state=seed
            )
        )
        if 1 < distinct < len(embeddings)
        else float("nan")
    )
    return {"silhouette": silhouette, "cluster_entropy": entropy, "clusters": float(k)}


def diversity_report(
    texts: Sequence[str],
    embeddings: np.ndarray,
    *,
    self_bleu_samples: int = 300,
    n_clusters: int = 8,
    seed: int = 0,
) -> dict[str, float]:
    return {
        "distinct_1": distinct_n(texts, 1),
        "distinct_2": distinct_n(texts, 2),
        "distinct_3": distinct_n(texts, 3),
        "self_bleu": self_bleu(texts, self_bleu_samples, seed),
        "mean_pairwise_cosine": mean_pairwise_cosine(embeddings),
        **cluster_structure(embeddings, n_clusters, seed),
    }
