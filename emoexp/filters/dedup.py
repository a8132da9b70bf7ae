"""Exact and near duplicates, within the synthetic set and against real data.

A synthetic text that copies a test text leaks evaluation data into training; one that
copies a seed text adds nothing; repeats within the synthetic set inflate it. Exact
duplicates are found by a hash of the normalised text, near duplicates by MinHash LSH over
word shingles, with every LSH candidate verified by its exact shingle Jaccard.

Scoring records, per row, its exact twin and its most similar candidates (>= the LSH
`candidate_threshold`); deciding applies `jaccard_threshold` greedily in row order: a row is
dropped when it matches a real text, or an earlier synthetic row that was kept. Only rows
that pass every other filter count as kept, so a duplicate group keeps its first good member.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import datasets
from datasketch import MinHashLSH

from emoexp.data.columns import column
from emoexp.filters.base import PASS, FilterContext, Measurement, TwoStepFilter, Verdict
from emoexp.filters.config import DedupFilterConfig
from emoexp.filters.minhash import lean_minhash, shingles, signatures
from emoexp.text.tokenize import text_hash


@dataclass
class ReferenceTexts:
    """Real texts, each with its source name and id, indexed for lookups."""

    sources: list[str]
    ids: list[str]
    shingle_sets: list[frozenset[str]]
    exact: dict[str, int]
    lsh: MinHashLSH


def exact_jaccard(first: frozenset[str], second: frozenset[str]) -> float:
    union = len(first | second)
    return len(first & second) / union if union else 1.0


def reference_rows(context: FilterContext) -> tuple[list[str], list[str], list[str]]:
    """(source, id, text) of the seed set and every reference set in the context."""
    sources, ids, texts = [], [], []
    named: dict[str, Any] = {}
    if context.seed is not None:
        named["seed"] = context.seed
    named.update(context.reference)
    for source, data in named.items():
        if isinstance(data, datasets.Dataset):
            data_texts = column(data, "text")
            data_ids = column(data, "id") if "id" in data.column_names else None
        else:
            data_texts, data_ids = list(data), None
        for index, text in enumerate(data_texts):
            sources.append(source)
            ids.append(str(data_ids[index]) if data_ids else str(index))
            texts.append(text)
    return sources, ids, texts


class DedupFilter(TwoStepFilter):
    name = "dedup"

    def __init__(self, cfg: DedupFilterConfig) -> None:
        if not 0 < cfg.candidate_threshold <= 1:
            raise ValueError("filter.dedup.candidate_threshold must be in (0, 1]")
        self.cfg = cfg

    def scoring_config(self) -> dict[str, Any]:
        cfg = self.cfg
        return {
            "num_perm": cfg.num_perm,
            "ngram": cfg.ngram,
            "candidate_threshold": cfg.candidate_threshold,
            "against_reference": cfg.against_reference,
            "seed": cfg.seed,
            "max_matches": cfg.max_matches,
        }

    def new_index(self) -> MinHashLSH:
        return MinHashLSH(threshold=self.cfg.candidate_threshold, num_perm=self.cfg.num_perm)

    def index_reference(self, context: FilterContext) -> ReferenceTexts | None:
        if not self.cfg.against_reference:
            return None
        sources, ids, texts = reference_rows(context)
        if not texts:
            return None
        shingle_lists = [shingles(text, self.cfg.ngram) for text in texts]
        sigs = signatures(shingle_lists, self.cfg.num_perm, self.cfg.seed)
        lsh = self.new_index()
        exact: dict[str, int] = {}
        with lsh.insertion_session() as session:
            for index, text in enumerate(texts):
                exact.setdefault(text_hash(text), index)
                session.insert(
                    index, lean_minhash(sigs[index], self.cfg.seed), check_duplication=False
                )
        return ReferenceTexts(sources, ids, [frozenset(s) for s in shingle_lists], exact, lsh)

    def score(self, ds: datasets.Dataset, context: FilterContext) -> list[Measurement]:
        cfg = self.cfg
        reference = self.index_reference(context)
        texts = column(ds, "text")
        row_ids = [str(row_id) for row_id in column(ds, "id")]
        shingle_lists = [shingles(text, cfg.ngram) for text in texts]
        shingle_sets = [frozenset(s) for s in shingle_lists]
        sigs = signatures(shingle_lists, cfg.num_perm, cfg.seed)
        synthetic_lsh = self.new_index()
        group_of_hash: dict[str, int] = {}
        measurements = []
        for index, text in enumerate(texts):
            minhash = lean_minhash(sigs[index], cfg.seed)
            digest = text_hash(text)
            detail: dict[str, Any] = {}
            best = 0.0
            if reference is not None:
                twin = reference.exact.get(digest)
                if twin is not None:
                    detail["exact_reference"] = [reference.sources[twin], reference.ids[twin]]
                    best = 1.0
                matches = sorted(
                    (
                        (exact_jaccard(shingle_sets[index], reference.shingle_sets[j]), j)
                        for j in reference.lsh.query(minhash)
                    ),
                    reverse=True,
                )
                near = [
                    [reference.sources[j], reference.ids[j], round(sim, 4)]
                    for sim, j in matches[: cfg.max_matches]
                    if sim >= cfg.candidate_threshold
                ]
                if near:
                    detail["reference_matches"] = near
                    best = max(best, near[0][2])
            group = group_of_hash.setdefault(digest, index)
            detail["group"] = group
            if group != index:
                detail["exact_synthetic"] = row_ids[group]
                best = 1.0
            else:
                matches = sorted(
                    (
                        (exact_jaccard(shingle_sets[index], shingle_sets[j]), j)
                        for j in synthetic_lsh.query(minhash)
                    ),
                    reverse=True,
                )
                near = [
                    [j, row_ids[j], round(sim, 4)]
                    for sim, j in matches[: cfg.max_matches]
                    if sim >= cfg.candidate_threshold
                ]
                if near:
                    detail["synthetic_matches"] = near
                    best = max(best, near[0][2])
                synthetic_lsh.insert(index, minhash, check_duplication=False)
            measurements.append(Measurement(score=round(best, 4), detail=detail))
        return measurements

    def decide(
        self, measurements: Sequence[Measurement], eligible: Sequence[bool]
    ) -> list[Verdict]:
        threshold = self.cfg.jaccard_threshold
        if threshold < self.cfg.candidate_threshold:
            raise ValueError(
                f"filter.dedup.jaccard_threshold ({threshold}) is below candidate_threshold "
                f"({self.cfg.candidate_threshold}): pairs in between were never scored"
            )
        kept_groups: set[int] = set()
        verdicts = []
        for index, measurement in enumerate(measurements):
            detail = measurement.detail
            group = int(detail["group"])
            reason = PASS
            reference_near = [m for m in detail.get("reference_matches", []) if m[2] >= threshold]
            if "exact_reference" in detail:
                reason = f"exact_duplicate_of_{detail['exact_reference'][0]}"
            elif reference_near:
                reason = f"near_duplicate_of_{reference_near[0][0]}"
            elif group != index and group in kept_groups:
                reason = "exact_duplicate_of_synthetic"
            elif any(
                m[2] >= threshold and int(m[0]) in kept_groups
                for m in detail.get("synthetic_matches", [])
            ):
                reason = "near_duplicate_of_synthetic"
            keep = reason == PASS
            if keep and eligible[index]:
                kept_groups.add(group)
            verdicts.append(Verdict(keep, measurement.score, reason))
        return verdicts
