"""The project's vectorised MinHash against datasketch's own, on the same texts.

    python benchmarks/dedup_minhash.py [--rows 10000] [--threshold 0.7]

Both arms shingle the same texts the same way (`emoexp.filters.minhash.shingles`) and use
128 permutations. datasketch builds one `MinHash` per text with `MinHash.bulk` (its batch
entry point; sha1 hashing, the affine32 permutations). Each arm's signatures go into the same
datasketch LSH index (candidates at Jaccard 0.5, as the dedup filter), and a pair is a
near duplicate when its estimated Jaccard reaches `--threshold`. Printed: signature time per
arm, the near-duplicate pairs each arm finds, how many both find, and how many of each arm's
pairs are truly at or above the threshold (exact Jaccard of the shingle sets). The texts are
`dedup_scaling.py`'s: real GoEmotions rows with 20 % exact and 30 % perturbed repeats.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import zlib
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH
from dedup_scaling import DEFAULT_DATA_DIR, make_texts

from emoexp.data.config import DataConfig
from emoexp.data.loading import load_corpus
from emoexp.filters.minhash import (
    SCHEME,
    lean_minhash,
    shingles,
    signatures,
)

NUM_PERM = 128
SEED = 1
NGRAM = 2
CANDIDATES = 0.5


def near_pairs(minhashes: list[LeanMinHash], threshold: float) -> set[tuple[int, int]]:
    """Pairs whose estimated Jaccard reaches `threshold`, among the LSH candidates."""
    lsh = MinHashLSH(threshold=CANDIDATES, num_perm=NUM_PERM)
    pairs: set[tuple[int, int]] = set()
    for index, minhash in enumerate(minhashes):
        for other in lsh.query(minhash):
            if minhash.jaccard(minhashes[other]) >= threshold:
                pairs.add((other, index))
        lsh.insert(index, minhash, check_duplication=False)
    return pairs


def _project_hash(shingle: bytes) -> int:
    """crc32: datasketch's affine32 scheme applies the murmur3 finaliser itself, as ours does."""
    return zlib.crc32(shingle)


def _exact(pair: tuple[int, int], sets: list[set[str]]) -> float:
    a, b = pair
    return len(sets[a] & sets[b]) / len(sets[a] | sets[b])


def exact_share(pairs: set[tuple[int, int]], sets: list[set[str]], threshold: float) -> float:
    if not pairs:
        return float("nan")
    true = sum(_exact(pair, sets) >= threshold for pair in pairs)
    return true / len(pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--threshold", type=float, default=0.7)
    parser.add_argument("--data-dir", default=os.environ.get("EMOEXP_DATA_DIR", DEFAULT_DATA_DIR))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    pool = load_corpus(DataConfig(), args.data_dir).splits["train"]["text"]
    texts = make_texts(pool, args.rows, seed=args.rows)
    shingle_lists = [shingles(text, NGRAM) for text in texts]
    encoded = [[shingle.encode("utf-8") for shingle in doc] for doc in shingle_lists]

    ours_s, theirs_s, same_s = [], [], []
    for _ in range(args.repeats):
        started = time.perf_counter()
        sigs = signatures(shingle_lists, NUM_PERM, SEED)
        ours_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        theirs = MinHash.bulk(encoded, num_perm=NUM_PERM, seed=SEED, scheme=SCHEME)
        theirs_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        same_hash = MinHash.bulk(
            encoded, num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, hashfunc=_project_hash
        )
        same_s.append(time.perf_counter() - started)

    # datasketch fed the project's shingle hash (crc32, then its own murmur3 finaliser): the same
    # algorithm, so its signatures, and so every decision, must equal ours bit for bit
    identical = all(
        np.array_equal(m.hashvalues, sig) for m, sig in zip(same_hash, sigs, strict=True)
    )

    ours = [lean_minhash(sig, SEED) for sig in sigs]
    theirs_lean = [LeanMinHash(m) for m in theirs]
    ours_pairs = near_pairs(ours, args.threshold)
    theirs_pairs = near_pairs(theirs_lean, args.threshold)
    sets = [set(doc) for doc in shingle_lists]
    both = ours_pairs & theirs_pairs
    union = ours_pairs | theirs_pairs
    ours_best, theirs_best = min(ours_s), min(theirs_s)
    print(f"{args.rows} texts, {sum(map(len, shingle_lists))} shingles, {NUM_PERM} permutations")
    print(
        f"signatures: emoexp {ours_best:.3f} s, datasketch MinHash.bulk {theirs_best:.3f} s "
        f"(best of {args.repeats}); emoexp is {theirs_best / ours_best:.1f}x faster"
    )
    print(
        f"datasketch MinHash.bulk with the project's crc32 hash {min(same_s):.3f} s; emoexp is "
        f"{min(same_s) / ours_best:.1f}x faster"
    )
    print(
        f"near-duplicate pairs at estimated Jaccard >= {args.threshold}: emoexp {len(ours_pairs)},"
        f" datasketch {len(theirs_pairs)}, both {len(both)}"
        f" (agreement {len(both) / max(1, len(union)):.1%} of the union)"
    )
    print(
        f"pairs truly at or above {args.threshold} (exact Jaccard): emoexp "
        f"{exact_share(ours_pairs, sets, args.threshold):.1%}, datasketch "
        f"{exact_share(theirs_pairs, sets, args.threshold):.1%}"
    )
    truth = {pair for pair in union if _exact(pair, sets) >= args.threshold}
    print(
        f"of the {len(truth)} candidate pairs truly at or above {args.threshold}, found by "
        f"emoexp {len(ours_pairs & truth) / max(1, len(truth)):.1%}, datasketch "
        f"{len(theirs_pairs & truth) / max(1, len(truth)):.1%}"
    )
    same = "identical" if identical else "DIFFERENT"
    print(f"datasketch with the project's crc32 shingle hash: {same} signatures, all rows")
    rows_only_ours = {row for pair in ours_pairs for row in pair}
    rows_only_theirs = {row for pair in theirs_pairs for row in pair}
    print(
        f"rows in some near pair: emoexp {len(rows_only_ours)}, datasketch "
        f"{len(rows_only_theirs)}, both {len(rows_only_ours & rows_only_theirs)}"
    )
    assert np.all(sigs.shape == (args.rows, NUM_PERM))


if __name__ == "__main__":
    main()
