"""Schema of the `explain/` group: SHAP keywords per class."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, is_dataclass
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf


@dataclass
class SurrogateConfig:
    """The TF-IDF + logistic-regression surrogate that LinearExplainer explains exactly."""

    # "english" uses scikit-learn's English stop-word list; "none" keeps every word
    stop_words: str = "english"
    # added to the stop words: GoEmotions' [NAME]/[RELIGION] placeholders and contraction stubs
    extra_stop_words: list[str] = field(
        default_factory=lambda: [
            "name",
            "religion",
            "don",
            "didn",
            "doesn",
            "isn",
            "wasn",
            "aren",
            "couldn",
            "wouldn",
            "shouldn",
            "ve",
            "ll",
            "re",
            "im",
        ]
    )
    # words only: letters, at least two of them (numbers and emoji carry no reusable keyword)
    token_pattern: str = r"(?u)\b[^\W\d_]{2,}\b"
    # cap on the vocabulary (most frequent words); null keeps every word above min_df
    max_features: int | None = 20000
    # inverse regularisation strength of each one-vs-rest logistic regression
    C: float = 4.0
    # "balanced" reweights rare classes so their words are not drowned by frequent ones
    class_weight: str | None = "balanced"
    max_iter: int = 1000


@dataclass
class PartitionConfig:
    """SHAP's Partition explainer over a fine-tuned transformer (method=partition)."""

    # model calls per explained text; cost is about min(max_evals, M^2 - M) for M tokens
    max_evals: int = 300
    # texts per model call; at least max_evals so one text is one batched call
    batch_size: int = 300
    # real seed texts explained per class (sampled with `seed`)
    texts_per_class: int = 20
    # "regex" splits on non-word characters; "model" uses the classifier's own tokenizer
    tokenizer: str = "regex"


@dataclass
class ExplainConfig:
    top_k: int = 20
    min_df: int = 2
    # "surrogate" (TF-IDF + LR, exact LinearExplainer) or "partition" (also explain a
    # fine-tuned transformer and record its agreement with the surrogate per class)
    method: str = "surrogate"
    # sampling seed for the partition explainer's per-class texts
    seed: int = 0
    # one bar plot per class in <out_dir>/plots
    plots: bool = True
    surrogate: SurrogateConfig = field(default_factory=SurrogateConfig)
    partition: PartitionConfig = field(default_factory=PartitionConfig)


def plain_config(value: Any) -> Any:
    """A dataclass or OmegaConf node as plain JSON-able Python (stages get either)."""
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, DictConfig | ListConfig):
        return OmegaConf.to_container(value, resolve=True)
    return value
