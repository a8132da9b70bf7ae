"""Deduplication on real GoEmotions texts: exact and near duplicates, and test-set leaks."""

from __future__ import annotations

import zlib
from pathlib import Path

import datasets
import numpy as np
import pytest
from datasketch import MinHash

from emoexp.data.config import DataConfig
from emoexp.data.loading import load_corpus
from emoexp.data.schema import Row, rows_to_dataset
from emoexp.filters.base import FilterContext
from emoexp.filters.config import DedupFilterConfig
from emoexp.filters.dedup import DedupFilter, exact_jaccard
from emoexp.filters.minhash import SCHEME, lean_minhash, shingles, signatures
from emoexp.text.tokenize import words


@pytest.fixture(scope="module")
def splits(data_dir: Path) -> datasets.DatasetDict:
    return load_corpus(DataConfig(), str(data_dir)).splits


def long_texts(ds: datasets.Dataset, count: int, start: int = 0) -> list[str]:
    window = ds.select(range(start, min(start + 3000, len(ds))))
    texts = [t for t in window["text"] if len(words(t)) >= 20]
    return texts[:count]


def change_middle_word(text: str) -> str:
    tokens = text.split()
    middle = len(tokens) // 2
    tokens[middle] = "banana" if tokens[middle].lower() != "banana" else "apple"
    return " ".join(tokens)


def synthetic(texts: list[str]) -> datasets.Dataset:
    return rows_to_dataset(
        [
            Row(id=f"syn{i}", text=text, labels=["neutral"], multi_hot=[], taxonomy="goemotions")
            for i, text in enumerate(texts)
        ]
    )


def test_exact_and_near_duplicates_within_the_synthetic_set(splits: datasets.DatasetDict) -> None:
    base, other, unrelated = long_texts(splits["train"], 3, start=20000)
    paraphrase = change_middle_word(base)
    assert exact_jaccard(frozenset(shingles(base, 2)), frozenset(shingles(paraphrase, 2))) >= 0.7
    texts = [base, other, "  " + base.upper() + "!!", paraphrase, unrelated]
    dedup = DedupFilter(DedupFilterConfig(jaccard_threshold=0.7, against_reference=False))
    measurements = dedup.score(synthetic(texts), FilterContext(taxonomy=None))
    verdicts = dedup.decide(measurements, [True] * len(texts))

    assert [v.reason for v in verdicts] == [
        "ok",
        "ok",
        "exact_duplicate_of_synthetic",
        "near_duplicate_of_synthetic",
        "ok",
    ]
    assert measurements[2].detail["exact_synthetic"] == "syn0"
    assert measurements[3].detail["synthetic_matches"][0][1] == "syn0"
    # a stricter threshold re-decides from the same scores and keeps the paraphrase
    strict = DedupFilter(DedupFilterConfig(jaccard_threshold=0.95, against_reference=False))
    assert strict.decide(measurements, [True] * len(texts))[3].keep
    too_low = DedupFilter(DedupFilterConfig(jaccard_threshold=0.3, candidate_threshold=0.5))
    with pytest.raises(ValueError, match="below candidate_threshold"):
        too_low.decide(measurements, [True] * len(texts))


def test_a_group_keeps_its_first_member_that_passes_the_other_filters(
    splits: datasets.DatasetDict,
) -> None:
    (base,) = long_texts(splits["train"], 1, start=25000)
    texts = [base, base, change_middle_word(base)]
    dedup = DedupFilter(DedupFilterConfig(against_reference=False))
    measurements = dedup.score(synthetic(texts), FilterContext(taxonomy=None))
    # the first copy fails another filter: the second copy becomes the kept one
    verdicts = dedup.decide(measurements, [False, True, True])
    assert [v.reason for v in verdicts] == ["ok", "ok", "near_duplicate_of_synthetic"]


def test_test_set_texts_copied_into_synthetic_are_rejected_as_leakage(
    splits: datasets.DatasetDict,
) -> None:
    test = splits["test"].select(range(2000))
    seed = splits["train"].select(range(2000))
    leaked, paraphrased_source = long_texts(test, 2)
    (seed_copy,) = long_texts(seed, 1)
    fresh = long_texts(splits["train"], 3, start=30000)
    texts = [leaked.lower(), change_middle_word(paraphrased_source), seed_copy, *fresh]
    context = FilterContext(taxonomy=None, seed=seed, reference={"test": test})
    dedup = DedupFilter(DedupFilterConfig(jaccard_threshold=0.7))
    measurements = dedup.score(synthetic(texts), context)
    verdicts = dedup.decide(measurements, [True] * len(texts))

    assert [v.reason for v in verdicts] == [
        "exact_duplicate_of_test",
        "near_duplicate_of_test",
        "exact_duplicate_of_seed",
        "ok",
        "ok",
        "ok",
    ]
    leaked_id = test[test["text"].index(leaked)]["id"]
    assert measurements[0].detail["exact_reference"] == ["test", leaked_id]
    assert verdicts[0].score == 1.0
    # switched off, the same copy passes
    blind = DedupFilter(DedupFilterConfig(against_reference=False))
    assert blind.evaluate(synthetic(texts), context)[0].keep


def test_vectorised_signatures_estimate_jaccard_like_datasketch(
    splits: datasets.DatasetDict,
) -> None:
    texts = long_texts(splits["train"], 40, start=5000)
    pairs = [(text, change_middle_word(text)) for text in texts]
    shingle_lists = [shingles(t, 2) for pair in pairs for t in pair]
    sigs = signatures(shingle_lists, num_perm=256, seed=3)
    errors = []
    for i in range(0, len(shingle_lists), 2):
        exact = exact_jaccard(frozenset(shingle_lists[i]), frozenset(shingle_lists[i + 1]))
        estimate = lean_minhash(sigs[i], 3).jaccard(lean_minhash(sigs[i + 1], 3))
        assert estimate == pytest.approx(float(np.mean(sigs[i] == sigs[i + 1])))
        errors.append(abs(estimate - exact))
    assert np.mean(errors) < 0.05
    assert max(errors) < 0.15
    # identical shingle sets give identical signatures whatever the order or block
    again = signatures(list(reversed(shingle_lists)), num_perm=256, seed=3)
    assert np.array_equal(again[::-1], sigs)
    with pytest.raises(ValueError, match="at least one shingle"):
        signatures([["a b"], []], num_perm=8, seed=1)


def test_signatures_equal_datasketch_minhash_given_the_same_shingle_hash(
    splits: datasets.DatasetDict,
) -> None:
    """The vectorised code is datasketch's affine32 MinHash, only faster: fed the same crc32
    shingle hash, datasketch gives the same signatures, so the same dedup decisions."""
    shingle_lists = [shingles(t, 2) for t in long_texts(splits["train"], 60, start=7000)]
    ours = signatures(shingle_lists, num_perm=128, seed=5)
    theirs = MinHash.bulk(
        [[s.encode("utf-8") for s in doc] for doc in shingle_lists],
        num_perm=128,
        seed=5,
        scheme=SCHEME,
        hashfunc=zlib.crc32,
    )
    for signature, minhash in zip(ours, theirs, strict=True):
        assert np.array_equal(signature, minhash.hashvalues)
