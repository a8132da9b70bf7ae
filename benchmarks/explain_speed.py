"""Time the explain stage's surrogate: TF-IDF + logistic regression fit, then exact SHAP.

    python benchmarks/explain_speed.py [--texts 500] [--repeat 5]

Real GoEmotions training rows mapped to emo11 (11 classes). Prints the surrogate's fit
time and the SHAP time separately: the per-class keyword ranking (what the stage runs) and
the full [texts x vocabulary x 11] SHAP tensor. Target: well under 1 s for 500 texts.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

if TYPE_CHECKING:
    from emoexp.explain.surrogate import Surrogate

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "datasets"


def class_shap_values(surrogate: Surrogate, column: int, background: Any, explained: Any) -> Any:
    """Full SHAP values [n, vocab] of one class's log-odds: the dense block the keyword
    ranking avoids, timed here for comparison."""
    import numpy as np
    import shap

    explainer = shap.LinearExplainer(
        (surrogate.coef[column], surrogate.intercept[column]), background
    )
    return np.asarray(explainer.shap_values(explained)).reshape(explained.shape[0], -1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=500, help="seed texts fitted and explained")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--data-dir", default=os.environ.get("EMOEXP_DATA_DIR", DEFAULT_DATA_DIR))
    args = parser.parse_args()

    from emoexp.data.config import DataConfig
    from emoexp.data.loading import load_corpus, map_corpus
    from emoexp.data.sampling import sample_rows
    from emoexp.data.taxonomy import load_mapping, load_taxonomy
    from emoexp.explain.config import ExplainConfig
    from emoexp.explain.linear_shap import rank_keywords
    from emoexp.explain.surrogate import fit_surrogate, label_matrix

    taxonomy = load_taxonomy("emo11")
    corpus = load_corpus(DataConfig(), str(args.data_dir))
    splits, _ = map_corpus(corpus.splits, load_mapping("goemotions", "emo11"), taxonomy)
    seed = sample_rows(splits["train"], args.texts, 0)
    texts, labels = seed["text"], seed["labels"]
    targets = label_matrix(labels, taxonomy.labels)
    cfg = ExplainConfig()

    fit_times, rank_times, full_times = [], [], []
    for _ in range(args.repeat):
        started = time.perf_counter()
        surrogate = fit_surrogate(texts, targets, taxonomy.labels, cfg.surrogate, cfg.min_df)
        matrix = surrogate.transform(texts)
        fit_times.append(time.perf_counter() - started)

        started = time.perf_counter()
        ranked = rank_keywords(surrogate, matrix, targets, cfg.top_k)
        rank_times.append(time.perf_counter() - started)

        started = time.perf_counter()
        shape = None
        for column in range(len(taxonomy.labels)):
            values = class_shap_values(surrogate, column, matrix, matrix)
            shape = values.shape
        full_times.append(time.perf_counter() - started)

    print(f"texts: {len(texts)}, classes: {len(taxonomy.labels)}, vocabulary: {matrix.shape[1]}")
    print(f"classes with keywords: {sum(bool(r) for r in ranked)} of {len(ranked)}")
    for name, times in (
        ("fit (tfidf + 11 logistic regressions)", fit_times),
        ("explain: per-class keyword ranking", rank_times),
        (f"explain: full SHAP, 11 x {shape}", full_times),
    ):
        print(f"{name}: median {statistics.median(times):.3f} s, best {min(times):.3f} s")
    total = statistics.median(fit_times) + statistics.median(rank_times)
    print(f"fit + keyword ranking: {total:.3f} s (target < 1 s)")


if __name__ == "__main__":
    main()
