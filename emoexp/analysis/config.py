"""Settings of the synthetic-against-real analysis (the `eval.analysis` node)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class AnalysisConfig:
    enabled: bool = True
    # rows drawn from each side before measuring; the measures are corpus statistics, so a
    # few thousand rows give stable figures at a fraction of the cost
    max_rows: int = 2000
    # "tfidf_svd" (fast, offline, any language) or "minilm" (the embedded MiniLM encoder)
    embedder: str = "tfidf_svd"
    embedding_dim: int = 128
    # hypotheses scored for self-BLEU (each against every other sampled text)
    self_bleu_samples: int = 300
    # k-means clusters for the cluster-structure measures of one side
    n_clusters: int = 8
    # k-means buckets for MAUVE's quantisation; 0 picks one bucket per 10 rows, as MAUVE does
    mauve_buckets: int = 0
    # folds of the real-vs-synthetic classifier two-sample test
    two_sample_folds: int = 5
    # ask the LLM backend to rate human-likeness of this many synthetic and real texts (0 = off)
    judge_samples: int = 0
    seed: int = 0
