"""Schema of the `filter/` group: quality filters and their thresholds.

Each filter has its own block; fields marked (threshold) only change decisions, so a sweep
over them reuses the scores computed once (see `emoexp.filters.apply.scoring_key`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from emoexp.explain.config import SurrogateConfig


@dataclass
class LengthFilterConfig:
    enabled: bool = True
    # (threshold) characters after stripping surrounding whitespace
    min_chars: int = 10
    max_chars: int = 1000
    # (threshold) word tokens (letters/digits runs)
    min_tokens: int = 3
    max_tokens: int = 200


@dataclass
class RefusalFilterConfig:
    enabled: bool = True
    # a YAML file of named regexes; empty = the built-in
    # emoexp/filters/data/refusal_patterns.yaml
    patterns_file: str = ""


@dataclass
class LeakageFilterConfig:
    enabled: bool = True
    # a YAML file label -> emotion words; empty = the built-in
    # emoexp/filters/data/emotion_lexicon.yaml
    lexicon_file: str = ""
    # (threshold) texts of at most this many tokens are "short"
    short_max_tokens: int = 6
    # (threshold) a short text whose own-label words make up at least this share of its
    # tokens is mostly the label word ("Angry. So angry.")
    short_min_share: float = 0.34
    # languages the lexicon and the self-report rule are written for; rows in others are
    # kept and counted as "not_applied:<code>" in the filter report
    languages: list[str] = field(default_factory=lambda: ["en"])


@dataclass
class LanguageFilterConfig:
    enabled: bool = True
    # (threshold) lingua's confidence that the text is in the row's `language`, relative to
    # the detector's languages; 0.1 drops about 0.3 % of real English GoEmotions rows of 3+
    # words (short informal English spreads over Germanic languages) and any real French
    min_confidence: float = 0.1
    # (threshold) texts with fewer words are kept unchecked: detection on 1-2 words is noise
    min_words: int = 3
    # ISO 639-1 codes always in the detector besides those the rows ask for (common confusers)
    confusers: list[str] = field(default_factory=lambda: ["en", "fr", "de", "es", "it", "pt", "nl"])
    # lingua's low accuracy mode: faster, weaker on short texts
    low_accuracy: bool = False


@dataclass
class DedupFilterConfig:
    enabled: bool = True
    # (threshold) estimated word-shingle Jaccard at or above which two texts are duplicates
    jaccard_threshold: float = 0.7
    # LSH retrieval floor: candidate pairs at or above it are scored, so any jaccard_threshold
    # sweep at or above it reuses the scores
    candidate_threshold: float = 0.5
    num_perm: int = 128
    # words per shingle
    ngram: int = 2
    # also compare with the real seed and the reference (test) sets, so no test text leaks
    against_reference: bool = True
    # seed of the MinHash permutations
    seed: int = 1
    # near matches recorded per row (the most similar first)
    max_matches: int = 16


@dataclass
class LabelConsistencyFilterConfig:
    enabled: bool = True
    # keep a row whose intended labels have no seed example to judge them by
    keep_unscorable: bool = True
    # what judges a row: "encoder" = logistic regression per label on multilingual E5
    # embeddings of the seed rows (works in every language of the encoder, and is
    # independent of the TF-IDF surrogate that picks the SHAP keywords); "tfidf" = that
    # surrogate (English words only: other languages score near zero)
    scorer: str = "encoder"
    # what `filter.label_consistency.threshold` is compared with: "rank" = for each intended
    # label, the share of the labels not asked for that the scorer ranks below it (1.0: it
    # outranks them all); "probability" = the scorer's probability of the label. Per-label
    # probabilities shift with each language's distance from the seed's language and with each
    # label's seed count, so one probability threshold keeps fewer correct rows outside
    # English; a rank within the row compares like with like in every language
    score: str = "rank"
    # seed rows the encoder scorer is fitted on (a random sample above this; null: all)
    max_seed_rows: int | None = 1000
    # inverse regularisation strength of the encoder scorer's logistic regressions
    encoder_c: float = 0.3
    # a language's rows are centred on their own mean when it has at least this many
    min_language_rows: int = 10
    min_df: int = 2
    # the TF-IDF + logistic-regression surrogate trained on the seed rows (scorer=tfidf)
    surrogate: SurrogateConfig = field(default_factory=SurrogateConfig)
    # (threshold) the scorer's probability each intended label of a row needs
    threshold: float = 0.5


@dataclass
class JudgeFilterConfig:
    enabled: bool = False
    # (threshold) the judge's 1-5 score a row needs
    min_score: float = 3.0
    # (threshold) keep rows whose judge reply had no parsable score
    keep_unparsed: bool = False
    # prompt template version, part of every judge request's cache key
    template: str = "judge.v1"


@dataclass
class FilterConfig:
    # false turns every filter off: all rows are kept and the report says so
    enabled: bool = True
    # renamed to label_consistency.threshold; setting it fails naming the new key
    min_confidence: float | None = None
    length: LengthFilterConfig = field(default_factory=LengthFilterConfig)
    refusal: RefusalFilterConfig = field(default_factory=RefusalFilterConfig)
    leakage: LeakageFilterConfig = field(default_factory=LeakageFilterConfig)
    language: LanguageFilterConfig = field(default_factory=LanguageFilterConfig)
    dedup: DedupFilterConfig = field(default_factory=DedupFilterConfig)
    label_consistency: LabelConsistencyFilterConfig = field(
        default_factory=LabelConsistencyFilterConfig
    )
    judge: JudgeFilterConfig = field(default_factory=JudgeFilterConfig)
