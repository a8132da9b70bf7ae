"""Vectorised MinHash signatures, compatible with datasketch's LSH index.

datasketch hashes and permutes one document at a time in Python; here every shingle of a
block of documents is hashed once (crc32, then a murmur3 finaliser to spread the bits) and
all permutations are applied with one numpy broadcast, followed by a per-document
`minimum.reduceat`. The permutations are datasketch's "affine32" scheme (h -> a*h + b mod
2^32 with odd a), so the signatures load as `LeanMinHash(seed, hashvalues, "affine32")`.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
from datasketch import LeanMinHash

from emoexp.text.tokenize import words

SCHEME = "affine32"
# shingles hashed per numpy block: bounds the [shingles, num_perm] uint32 matrix (~64 MB)
BLOCK_SHINGLES = 131072


def shingles(text: str, ngram: int) -> list[str]:
    """Word n-grams of the normalised text; a text shorter than n is one shingle."""
    tokens = words(text)
    if len(tokens) <= ngram:
        return [" ".join(tokens)]
    return [" ".join(tokens[i : i + ngram]) for i in range(len(tokens) - ngram + 1)]


def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    generator = np.random.RandomState(seed)
    a = generator.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = generator.randint(0, 1 << 32, num_perm, dtype=np.uint64).astype(np.uint32)
    return a, b


def fmix32(values: np.ndarray) -> np.ndarray:
    """murmur3's finaliser: crc32 alone is linear, this makes each bit depend on all bits."""
    h = values.astype(np.uint32, copy=True)
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return h


def shingle_hashes(shingle_sets: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
    """All shingle hashes concatenated, and each document's start offset into them."""
    lengths = np.fromiter((len(s) for s in shingle_sets), dtype=np.int64, count=len(shingle_sets))
    offsets = np.zeros(len(shingle_sets), dtype=np.int64)
    np.cumsum(lengths[:-1], out=offsets[1:])
    flat = np.fromiter(
        (zlib.crc32(shingle.encode("utf-8")) for doc in shingle_sets for shingle in doc),
        dtype=np.uint32,
        count=int(lengths.sum()),
    )
    return fmix32(flat), offsets


def signatures(shingle_sets: Sequence[Sequence[str]], num_perm: int, seed: int) -> np.ndarray:
    """MinHash signatures [n_docs, num_perm] (uint32); every document needs >= 1 shingle."""
    if any(len(doc) == 0 for doc in shingle_sets):
        raise ValueError("every document needs at least one shingle")
    a, b = permutations(num_perm, seed)
    hashes, offsets = shingle_hashes(shingle_sets)
    result = np.empty((len(shingle_sets), num_perm), dtype=np.uint32)
    doc = 0
    while doc < len(shingle_sets):
        # a block of whole documents holding about BLOCK_SHINGLES shingles
        start = offsets[doc]
        last = int(np.searchsorted(offsets, start + BLOCK_SHINGLES, side="right"))
        last = max(last, doc + 1)
        stop = offsets[last] if last < len(offsets) else len(hashes)
        block = hashes[start:stop, None] * a[None, :] + b[None, :]
        result[doc:last] = np.minimum.reduceat(block, offsets[doc:last] - start, axis=0)
        doc = last
    return result


def lean_minhash(signature: np.ndarray, seed: int) -> LeanMinHash:
    return LeanMinHash(seed=seed, hashvalues=signature, scheme=SCHEME)
