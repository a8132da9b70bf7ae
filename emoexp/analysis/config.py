"""Settings of the synthetic-against-real analysis (the `eval.analysis` node)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class AnalysisConfig:
    enabled: bool = True
    # rows drawn from each side before measuring; the measures are corpus statistics, so a
    # few thousand rows give stable figures at a fraction of the cost
    max_rows: int = 2000
    # "minilm" (the embedded all-MiniLM-L6-v2: semantic geometry, English) or "tfidf_svd"
    # (lexical, fast, any language)
    embedder: str = "minilm"
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
    # llm settings of the judge on top of the generator's (e.g. {backend: openai, model: ...,
    # base_url: [...]}); empty = the generator judges, which the report flags
    judge_llm: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
