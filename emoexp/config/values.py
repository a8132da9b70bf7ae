"""Value checks the typed schema cannot express: choices, ranges and positive sizes.

OmegaConf checks types when a config is composed, not values, so `regime=bogus` or
`filter.label_consistency.threshold=1.5` would compose and fail (or silently keep nothing)
minutes later.
`check_values` runs on the composed config before any stage, and for every job of a sweep
before the first one starts; each problem names its key, its value and what is allowed.

Imports nothing heavy: it runs where a typo must answer as fast as Hydra alone.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

REGIMES = ("real", "synthetic", "real+synthetic", "real+real_extra")
DATA_LOADERS = ("goemotions", "meld", "emorynlp", "semeval_ec", "dailydialog", "tabular")
STRATEGIES = ("none", "naive", "shap", "persona", "conversation", "multilingual")
LLM_BACKENDS = ("local", "openai", "openai_batch", "fake")
# what pl.Trainer(accelerator=...) accepts
ACCELERATORS = ("cpu", "gpu", "cuda", "mps", "tpu", "auto")
# Lightning's precision names, and "auto" (bf16-mixed where the device computes it natively)
PRECISIONS = (
    "auto", "32-true", "32", "16-mixed", "16", "bf16-mixed", "bf16", "16-true", "bf16-true",
    "64-true", "64", "transformer-engine", "transformer-engine-float16",
)  # fmt: skip


class ConfigValueError(ValueError):
    """A composed config holds values no stage can use."""


@dataclass(frozen=True)
class Rule:
    key: str
    # returns what is wrong with the value, or None when it is fine
    check: Callable[[Any], str | None]


def renamed_to(new_key: str) -> Callable[[Any], str | None]:
    """A key kept in the schema only so that a config still using it fails naming its new
    name, rather than Hydra's bare "not in struct"."""

    def check(value: Any) -> str | None:
        return None if value is None else f"was renamed: set {new_key} instead"

    return check


def one_of(*allowed: str | None) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if value in allowed:
            return None
        shown = ", ".join("null" if a is None else a for a in allowed)
        return f"must be one of: {shown}"

    return check


def in_range(low: float, high: float, *, low_open: bool = False, high_open: bool = False):
    def check(value: Any) -> str | None:
        number = float(value)
        above = number > low if low_open else number >= low
        below = number < high if high_open else number <= high
        if above and below and not math.isnan(number):
            return None
        left, right = "(" if low_open else "[", ")" if high_open else "]"
        return f"must lie in {left}{low:g}, {high:g}{right}"

    return check


def positive(*, nullable: bool = False, meaning_of_null: str = "") -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if value is None and nullable:
            return None
        if value is not None and float(value) > 0:
            return None
        if nullable:
            return f"must be a positive number, or null for {meaning_of_null}"
        return "must be positive"

    return check


def at_least(minimum: float, note: str = "") -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if float(value) >= minimum:
            return None
        return f"must be at least {minimum:g}{note}"

    return check


def positive_or_minus_one(meaning: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        return None if value == -1 or int(value) > 0 else f"must be positive, or -1 for {meaning}"

    return check


def url_or_urls(value: Any) -> str | None:
    urls = [value] if isinstance(value, str) else value
    if not isinstance(urls, list | tuple) or not all(isinstance(u, str) for u in urls):
        return "must be one URL or a list of URLs"
    bad = [u for u in urls if not re.match(r"^https?://[^/\s]+", u)]
    return f"not an http(s) URL: {', '.join(bad)}" if bad else None


def llm_device(value: Any) -> str | None:
    if re.fullmatch(r"auto|cpu|mps|cuda(:\d+)?", str(value)):
        return None
    return "must be auto, cpu, mps, cuda or cuda:N"


def subset_of(*allowed: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        unknown = [v for v in value if v not in allowed]
        return f"unknown {unknown}; choose from: {', '.join(allowed)}" if unknown else None

    return check


PROBABILITY = in_range(0.0, 1.0)

RULES: tuple[Rule, ...] = (
    Rule("regime", one_of(*REGIMES)),
    Rule("seed", at_least(0)),
    # data
    Rule("data.name", one_of(*DATA_LOADERS)),
    Rule("data.bad_rows", one_of("raise", "skip")),
    Rule("data.seed_size", positive(nullable=True, meaning_of_null="every training row")),
    Rule("data.max_train_rows", positive(nullable=True, meaning_of_null="no cap")),
    Rule("data.max_eval_rows", positive(nullable=True, meaning_of_null="no cap")),
    Rule("data.context_window", at_least(0)),
    # model
    Rule("model.pooling", one_of("mean", "cls")),
    Rule("model.max_length", positive()),
    Rule("model.batch_size", positive()),
    Rule("model.eval_batch_size", positive()),
    Rule("model.learning_rate", positive()),
    Rule("model.head_learning_rate", positive(nullable=True, meaning_of_null="learning_rate")),
    Rule("model.weight_decay", at_least(0)),
    Rule("model.warmup_ratio", PROBABILITY),
    Rule("model.dropout", in_range(0.0, 1.0, high_open=True)),
    Rule("model.pos_weight_cap", at_least(1)),
    Rule("model.tiny_vocab_size", positive()),
    # trainer
    Rule("trainer.accelerator", one_of(*ACCELERATORS)),
    Rule("trainer.precision", one_of(*PRECISIONS)),
    Rule("trainer.devices", positive_or_minus_one("every visible device")),
    Rule("trainer.num_nodes", positive()),
    Rule("trainer.max_epochs", positive_or_minus_one("no epoch limit (with max_steps)")),
    Rule("trainer.max_steps", positive_or_minus_one("no step limit")),
    Rule("trainer.accumulate_grad_batches", positive()),
    Rule("trainer.log_every_n_steps", positive()),
    Rule("trainer.num_workers", at_least(0)),
    Rule("trainer.gradient_clip_val", at_least(0)),
    # logger
    Rule("logger.kind", one_of("wandb", "csv", "none")),
    Rule("logger.mode", one_of("offline", "online", "disabled")),
    # gen
    Rule("gen.strategy", one_of(*STRATEGIES)),
    Rule("gen.samples_per_label", at_least(0)),
    Rule("gen.label_distribution", one_of("uniform", "seed", "fill_underrepresented")),
    Rule("gen.max_labels_per_sample", positive()),
    Rule("gen.extra_label_decay", PROBABILITY),
    Rule("gen.max_reasks", at_least(0)),
    Rule("gen.min_chars", at_least(0)),
    Rule("gen.shap.keywords_per_label", at_least(0)),
    Rule("gen.shap.exemplars_per_label", at_least(0)),
    Rule("gen.persona.stages", subset_of("base", "background", "situation")),
    Rule("gen.conversation.plain_mode", one_of("turns", "lines")),
    Rule("gen.conversation.speakers", at_least(2)),
    Rule("gen.conversation.turns_min", positive()),
    Rule("gen.conversation.turns_max", positive()),
    Rule("gen.conversation.context_turns", at_least(0)),
    Rule("gen.multilingual.plan", one_of("per_language", "split")),
    # llm
    Rule("llm.backend", one_of(*LLM_BACKENDS)),
    Rule("llm.base_url", url_or_urls),
    Rule("llm.temperature", in_range(0.0, 2.0)),
    Rule("llm.top_p", in_range(0.0, 1.0, low_open=True)),
    Rule("llm.max_tokens", positive()),
    Rule("llm.max_concurrency", positive()),
    Rule("llm.max_retries", at_least(0)),
    Rule("llm.timeout_s", positive()),
    Rule("llm.max_retry_time_s", positive()),
    Rule("llm.batch_size", positive()),
    Rule("llm.requests_per_minute", at_least(0, " (0 disables the limit)")),
    Rule("llm.tokens_per_minute", at_least(0, " (0 disables the limit)")),
    Rule("llm.balancing", one_of("least_loaded", "round_robin")),
    Rule("llm.cache_synchronous", one_of("OFF", "NORMAL", "FULL", "EXTRA")),
    Rule("llm.device", llm_device),
    Rule("llm.dtype", one_of("auto", "float32", "bfloat16", "float16")),
    Rule("llm.max_tokens_field", one_of("max_tokens", "max_completion_tokens")),
    # explain
    Rule("explain.method", one_of("surrogate", "partition")),
    Rule("explain.top_k", positive()),
    Rule("explain.min_df", positive()),
    Rule("explain.surrogate.stop_words", one_of("english", "none")),
    Rule("explain.surrogate.class_weight", one_of("balanced", None)),
    Rule("explain.surrogate.C", positive()),
    Rule("explain.surrogate.max_features", positive(nullable=True, meaning_of_null="no cap")),
    Rule("explain.partition.tokenizer", one_of("regex", "model")),
    Rule("explain.partition.max_evals", positive()),
    Rule("explain.partition.texts_per_class", positive()),
    # filter
    Rule("filter.min_confidence", renamed_to("filter.label_consistency.threshold")),
    Rule("filter.label_consistency.threshold", PROBABILITY),
    Rule("filter.length.min_chars", at_least(0)),
    Rule("filter.length.min_tokens", at_least(0)),
    Rule("filter.leakage.short_min_share", PROBABILITY),
    Rule("filter.language.min_confidence", PROBABILITY),
    Rule("filter.dedup.jaccard_threshold", PROBABILITY),
    Rule("filter.dedup.candidate_threshold", PROBABILITY),
    Rule("filter.dedup.num_perm", positive()),
    Rule("filter.dedup.ngram", positive()),
    Rule("filter.judge.min_score", in_range(1.0, 5.0)),
    Rule("filter.label_consistency.score", one_of("rank", "probability")),
    Rule("filter.label_consistency.surrogate.stop_words", one_of("english", "none")),
    Rule("filter.label_consistency.surrogate.class_weight", one_of("balanced", None)),
    # eval
    Rule("eval.zero_shot_max_rows", positive(nullable=True, meaning_of_null="every row")),
    Rule("eval.synthetic_holdout", in_range(0.0, 1.0, high_open=True)),
    Rule("eval.analysis.embedder", one_of("tfidf_svd", "minilm")),
    Rule("eval.analysis.max_rows", positive()),
    Rule("eval.analysis.embedding_dim", positive()),
    Rule("eval.analysis.n_clusters", positive()),
    Rule("eval.analysis.two_sample_folds", at_least(2)),
    Rule("eval.analysis.judge_samples", at_least(0, " (0 turns the judge off)")),
)


def _pairs(cfg: DictConfig) -> list[str]:
    """Problems between two keys (a minimum above its maximum)."""
    problems = []
    for low, high in (
        ("filter.length.min_chars", "filter.length.max_chars"),
        ("filter.length.min_tokens", "filter.length.max_tokens"),
        ("gen.conversation.turns_min", "gen.conversation.turns_max"),
        ("filter.dedup.candidate_threshold", "filter.dedup.jaccard_threshold"),
    ):
        a, b = _select(cfg, low), _select(cfg, high)
        if a is not _MISSING and b is not _MISSING and a > b:
            problems.append(f"{low}={a!r} must not exceed {high}={b!r}")
    return problems


_MISSING = object()


def _select(cfg: DictConfig, key: str) -> Any:
    value = OmegaConf.select(cfg, key, default=_MISSING, throw_on_missing=False)
    if isinstance(value, DictConfig | ListConfig):
        return OmegaConf.to_container(value, resolve=True)
    return value


def value_problems(cfg: DictConfig) -> list[str]:
    """Every bad value in `cfg`, one line each, naming the key (keys absent are skipped)."""
    problems = []
    for rule in RULES:
        value = _select(cfg, rule.key)
        if value is _MISSING:
            continue
        try:
            wrong = rule.check(value)
        except (TypeError, ValueError):
            wrong = "has the wrong type"
        if wrong:
            problems.append(f"{rule.key}={value!r} {wrong}")
    return problems + _pairs(cfg)


def check_values(cfg: DictConfig, job: str = "") -> None:
    """Raise ConfigValueError listing every bad value of a composed config."""
    problems = value_problems(cfg)
    if problems:
        where = f" ({job})" if job else ""
        lines = "\n".join(f"  {problem}" for problem in problems)
        raise ConfigValueError(f"invalid config values{where}:\n{lines}")
