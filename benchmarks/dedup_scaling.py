"""How MinHash deduplication scales: 10k, 50k and 100k synthetic rows.

    python benchmarks/dedup_scaling.py [--sizes 10000 50000 100000] [--reference 5000]

Rows are real GoEmotions training texts (pairs of them once the 43k distinct ones run
out), about 20 % repeated verbatim (case and punctuation changed) and 30 % perturbed (a
word replaced, dropped or inserted), so every size has the same share of exact and near
duplicates to find, plus test-set texts to catch. Each size runs in its own process so its peak
resident memory is its own. Prints time per step, peak memory, what was found and the
growth ratios (time / rows): about 1.0 per step means linear.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "datasets"
FILLERS = ("really", "honestly", "just", "totally", "banana", "seriously", "maybe", "though")


def perturb(text: str, rng: random.Random) -> str:
    tokens = text.split()
    if len(tokens) < 4:
        return text + " " + rng.choice(FILLERS)
    position = rng.randrange(len(tokens))
    action = rng.random()
    if action < 0.4:
        tokens[position] = rng.choice(FILLERS)
    elif action < 0.7:
        del tokens[position]
    else:
        tokens.insert(position, rng.choice(FILLERS))
    return " ".join(tokens)


def fresh_texts(pool: list[str], rng: random.Random) -> Iterator[str]:
    """Distinct real texts: the pool shuffled, then pairs of pool texts joined (so every
    size gets the same share of duplicates, however far it outgrows the pool)."""
    unique = list(dict.fromkeys(pool))
    rng.shuffle(unique)
    yield from unique
    while True:
        yield f"{rng.choice(unique)} {rng.choice(unique)}"


def make_texts(pool: list[str], rows: int, seed: int) -> list[str]:
    """About 20 % exact repeats (case and punctuation changed), 30 % near duplicates (one
    word replaced, dropped or inserted) and 50 % distinct real texts."""
    rng = random.Random(seed)
    source = fresh_texts(pool, rng)
    texts: list[str] = []
    while len(texts) < rows:
        roll = rng.random()
        if texts and roll < 0.2:
            texts.append(rng.choice(texts).upper() + "!")
        elif texts and roll < 0.5:
            texts.append(perturb(rng.choice(texts), rng))
        else:
            texts.append(next(source))
    return texts


def run_one(rows: int, reference_rows: int, data_dir: str) -> dict[str, float | int | dict]:
    from emoexp.data.config import DataConfig
    from emoexp.data.loading import load_corpus
    from emoexp.data.schema import Row, rows_to_dataset
    from emoexp.filters.base import FilterContext
    from emoexp.filters.config import DedupFilterConfig
    from emoexp.filters.dedup import DedupFilter
    from emoexp.filters.minhash import shingles, signatures

    splits = load_corpus(DataConfig(), data_dir).splits
    pool = splits["train"]["text"]
    texts = make_texts(pool, rows, seed=rows)
    synthetic = rows_to_dataset(
        [
            Row(id=f"s{i}", text=t, labels=["neutral"], multi_hot=[], taxonomy="goemotions")
            for i, t in enumerate(texts)
        ]
    )
    reference = splits["test"].select(range(min(reference_rows, len(splits["test"]))))
    cfg = DedupFilterConfig()
    baseline_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    started = time.perf_counter()
    signatures([shingles(t, cfg.ngram) for t in texts], cfg.num_perm, cfg.seed)
    signature_s = time.perf_counter() - started

    dedup = DedupFilter(cfg)
    context = FilterContext(taxonomy=None, reference={"test": reference} if reference_rows else {})
    started = time.perf_counter()
    measurements = dedup.score(synthetic, context)
    score_s = time.perf_counter() - started
    started = time.perf_counter()
    verdicts = dedup.decide(measurements, [True] * rows)
    decide_s = time.perf_counter() - started
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    reasons: dict[str, int] = {}
    for verdict in verdicts:
        reasons[verdict.reason] = reasons.get(verdict.reason, 0) + 1
    return {
        "rows": rows,
        "signature_s": signature_s,
        "score_s": score_s,
        "decide_s": decide_s,
        "peak_rss_mb": peak_rss / 1024,
        "rss_growth_mb": (peak_rss - baseline_rss) / 1024,
        "reasons": reasons,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 50000, 100000])
    parser.add_argument("--reference", type=int, default=5000, help="test rows compared too")
    parser.add_argument("--data-dir", default=os.environ.get("EMOEXP_DATA_DIR", DEFAULT_DATA_DIR))
    parser.add_argument("--single", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.single:
        print(json.dumps(run_one(args.single, args.reference, str(args.data_dir))))
        return

    results = []
    for rows in args.sizes:
        command = [
            sys.executable,
            __file__,
            "--single",
            str(rows),
            "--reference",
            str(args.reference),
        ]
        command += ["--data-dir", str(args.data_dir)]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        result = json.loads(output.strip().splitlines()[-1])
        results.append(result)
        total = result["score_s"] + result["decide_s"]
        print(
            f"{rows:>7} rows: signatures {result['signature_s']:.2f} s (vectorised), "
            f"score {result['score_s']:.2f} s, decide {result['decide_s']:.2f} s, "
            f"total {total:.2f} s ({rows / total:,.0f} rows/s), "
            f"peak RSS {result['peak_rss_mb']:.0f} MB (+{result['rss_growth_mb']:.0f} MB in dedup)"
        )
        print(f"         verdicts: {result['reasons']}")
    for previous, current in itertools.pairwise(results):
        row_ratio = current["rows"] / previous["rows"]
        time_ratio = (current["score_s"] + current["decide_s"]) / (
            previous["score_s"] + previous["decide_s"]
        )
        memory_ratio = current["rss_growth_mb"] / max(previous["rss_growth_mb"], 1e-9)
        print(
            f"{previous['rows']} -> {current['rows']} rows (x{row_ratio:.1f}): "
            f"time x{time_ratio:.2f} (per row x{time_ratio / row_ratio:.2f}), "
            f"memory growth x{memory_ratio:.2f}"
        )


if __name__ == "__main__":
    main()
