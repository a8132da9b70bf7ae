"""Tokenize rows once per (tokenizer, max length, data, context window) and reuse it.

`datasets.map` writes the result to an Arrow file named by that key under the cache folder,
so every later job of a sweep that trains on the same rows memory-maps it in milliseconds.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import datasets
from transformers import PreTrainedTokenizerBase

from emoexp.data.conversation import context_of

TOKENIZED_COLUMNS = ("input_ids", "attention_mask", "token_type_ids", "labels", "length")


def tokenizer_digest(tokenizer: PreTrainedTokenizerBase) -> str:
    """A stable identity of a tokenizer: its serialised vocabulary and pipeline, without the
    truncation and padding settings that every call overwrites."""
    state = json.loads(tokenizer.backend_tokenizer.to_str())
    state.pop("truncation", None)
    state.pop("padding", None)
    serialised = json.dumps(state, sort_keys=True)
    return hashlib.sha256(serialised.encode("utf-8")).hexdigest()[:16]


def tokenization_key(
    ds: datasets.Dataset, tokenizer: PreTrainedTokenizerBase, max_length: int, window: int
) -> str:
    parts = f"{tokenizer_digest(tokenizer)}|{max_length}|{ds._fingerprint}|{window}|v1"
    return hashlib.sha256(parts.encode()).hexdigest()[:20]


def _encode_pairs(
    tokenizer: PreTrainedTokenizerBase, contexts: list[str], texts: list[str], max_length: int
) -> dict[str, list[list[int]]]:
    """Encode (context, utterance) pairs, giving up context tokens first.

    The utterance keeps its start when it alone is too long; the context keeps its end (the
    turns nearest the utterance), which `truncation="only_first"` cannot do.
    """
    backend = tokenizer.backend_tokenizer
    backend.no_truncation()
    backend.no_padding()
    single_budget = max_length - tokenizer.num_special_tokens_to_add(pair=False)
    pair_extra = tokenizer.num_special_tokens_to_add(pair=True)
    utterances = backend.encode_batch(texts, add_special_tokens=False)
    previous = backend.encode_batch(contexts, add_special_tokens=False)
    columns: dict[str, list[list[int]]] = {"input_ids": [], "attention_mask": [], "type_ids": []}
    for context, utterance in zip(previous, utterances, strict=True):
        utterance.truncate(single_budget)
        budget = max_length - len(utterance.ids) - pair_extra
        pair = None
        if budget > 0 and len(context.ids) > 0:
            context.truncate(budget, direction="left")
            pair = utterance
            first = context
        else:
            first = utterance
        encoded = backend.post_process(first, pair, add_special_tokens=True)
        columns["input_ids"].append(encoded.ids)
        columns["attention_mask"].append(encoded.attention_mask)
        columns["type_ids"].append(encoded.type_ids)
    return columns


def tokenize_rows(
    ds: datasets.Dataset,
    tokenizer: PreTrainedTokenizerBase,
    max_length: int,
    *,
    cache_dir: Path | None,
    context_window: int = 0,
) -> datasets.Dataset:
    """Columns input_ids, attention_mask, token_type_ids, labels (multi_hot), length."""
    if max_length < 8:
        raise ValueError(f"max_length {max_length} leaves no room for text")
    # earlier turns of the row's dialogue, oldest first, as one segment
    contexts = [" ".join(turns) for turns in context_of(ds, context_window)]
    use_context = any(contexts)
    key = tokenization_key(ds, tokenizer, max_length, context_window if use_context else 0)

    def encode(batch: dict[str, list[Any]], indices: list[int]) -> dict[str, list[Any]]:
        if use_context:
            pieces = _encode_pairs(
                tokenizer, [contexts[i] for i in indices], batch["text"], max_length
            )
            input_ids, attention, type_ids = (
                pieces["input_ids"],
                pieces["attention_mask"],
                pieces["type_ids"],
            )
        else:
            encoded = tokenizer(
                batch["text"],
                truncation=True,
                max_length=max_length,
                return_token_type_ids=True,
                return_attention_mask=True,
            )
            input_ids = encoded["input_ids"]
            attention = encoded["attention_mask"]
            type_ids = encoded["token_type_ids"]
        return {
            "input_ids": input_ids,
            "attention_mask": attention,
            "token_type_ids": type_ids,
            "labels": batch["multi_hot"],
            "length": [len(ids) for ids in input_ids],
        }

    cache_file = None
    if cache_dir is not None:
        folder = Path(cache_dir) / "tokenized"
        folder.mkdir(parents=True, exist_ok=True)
        cache_file = str(folder / f"{key}.arrow")
    return ds.map(
        encode,
        batched=True,
        batch_size=1000,
        with_indices=True,
        remove_columns=ds.column_names,
        cache_file_name=cache_file,
        load_from_cache_file=cache_file is not None,
        new_fingerprint=key,
        desc="tokenize",
    )
