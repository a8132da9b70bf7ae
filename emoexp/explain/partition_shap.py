"""SHAP's Partition explainer over any text classifier, aggregated into per-class keywords.

Used to check the cheap surrogate against the fine-tuned transformer: if both rank the same
words, guided generation built on the surrogate's keywords is steering what the real
classifier attends to.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np
import shap

from emoexp.explain.config import PartitionConfig

# tokens that open a new word in SentencePiece / byte-level BPE vocabularies
WORD_START_MARKERS = ("▁", "Ġ", " ")
WORDPIECE_CONTINUATION = "##"
REGEX_SPLIT = r"\W+"


class TextClassifier(Protocol):
    def predict_proba(self, texts: list[str]) -> np.ndarray: ...


def build_masker(classifier: Any, tokenizer_mode: str) -> shap.maskers.Text:
    """A regex word masker, or the classifier's own Hugging Face tokenizer."""
    if tokenizer_mode == "regex":
        return shap.maskers.Text(REGEX_SPLIT)
    if tokenizer_mode == "model":
        tokenizer = getattr(classifier, "tokenizer", None)
        if tokenizer is None:
            raise ValueError("explain.partition.tokenizer=model needs a classifier.tokenizer")
        return shap.maskers.Text(tokenizer)
    raise ValueError(
        f"explain.partition.tokenizer must be 'regex' or 'model', got {tokenizer_mode!r}"
    )


def merge_subwords(tokens: Sequence[str], values: np.ndarray) -> list[tuple[str, float]]:
    """Join subword pieces into words, summing their SHAP values.

    WordPiece marks continuations with '##'; SentencePiece and byte-level BPE mark word
    starts instead, so when any token carries a start marker, unmarked tokens continue the
    previous word. Regex tokens are already words.
    """
    marks_starts = any(token.startswith(WORD_START_MARKERS) for token in tokens)
    words: list[tuple[str, float]] = []
    for token, value in zip(tokens, values, strict=True):
        continues = token.startswith(WORDPIECE_CONTINUATION) or (
            marks_starts and words and not token.startswith(WORD_START_MARKERS)
        )
        piece = token.removeprefix(WORDPIECE_CONTINUATION)
        if continues and words:
            word, total = words[-1]
            words[-1] = (word + piece, total + float(value))
        else:
            words.append((piece, float(value)))
    return words


def normalise_word(word: str) -> str:
    return re.sub(r"[\W\d_]+", "", word.lower())


def partition_keywords(
    classifier: TextClassifier,
    texts_per_class: Sequence[Sequence[str]],
    num_labels: int,
    cfg: PartitionConfig,
    top_k: int,
    stop_words: set[str],
) -> tuple[list[list[tuple[str, float]]], dict[str, Any]]:
    """Per class, words ranked by mean SHAP (of that class's output) over its sampled texts.

    A word absent from a text contributes 0 to that text, so the mean rewards words that
    are both frequent in the class and influential.
    """
    if cfg.batch_size < cfg.max_evals:
        raise ValueError(
            f"explain.partition.batch_size ({cfg.batch_size}) must be >= max_evals "
            f"({cfg.max_evals}) so each text is explained in one batched model call"
        )
    predict: Callable[[Any], np.ndarray] = lambda batch: np.asarray(  # noqa: E731
        classifier.predict_proba([str(text) for text in batch])
    )
    explainer = shap.Explainer(
        predict, build_masker(classifier, cfg.tokenizer), algorithm="partition"
    )
    ranked: list[list[tuple[str, float]]] = []
    explained = 0
    for column in range(num_labels):
        texts = list(texts_per_class[column]) if column < len(texts_per_class) else []
        if not texts:
            ranked.append([])
            continue
        explanation = explainer(
            texts, max_evals=cfg.max_evals, batch_size=cfg.batch_size, silent=True
        )
        totals: dict[str, float] = defaultdict(float)
        for row in range(len(texts)):
            tokens = [str(token) for token in explanation.data[row]]
            values = np.asarray(explanation.values[row])[:, column]
            for word, value in merge_subwords(tokens, values):
                key = normalise_word(word)
                if len(key) >= 2 and key not in stop_words:
                    totals[key] += value
        explained += len(texts)
        means = sorted(
            ((word, total / len(texts)) for word, total in totals.items()),
            key=lambda item: (-item[1], item[0]),
        )
        ranked.append([(word, float(score)) for word, score in means[:top_k] if score > 0])
    return ranked, {"texts_explained": explained, "max_evals": cfg.max_evals}
