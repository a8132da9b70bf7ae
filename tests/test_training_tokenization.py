"""Tokenization: cached per (tokenizer, length, data, context), and conversation context."""

from __future__ import annotations

from pathlib import Path

import datasets
import pytest
from transformers import PreTrainedTokenizerBase

from emoexp.data.schema import Row, rows_to_dataset
from emoexp.models.config import ModelConfig
from emoexp.models.encoder import load_encoder
from emoexp.training.tokenization import tokenize_rows

SENTENCE = "i am so happy sad angry today about the news you said that we went home again"
WORDS = SENTENCE.split(" ")


@pytest.fixture
def tokenizer(tmp_path: Path) -> PreTrainedTokenizerBase:
    texts = [" ".join(WORDS[i:] + WORDS[:i]) for i in range(len(WORDS))]
    tok, _ = load_encoder(ModelConfig(pretrained="tiny"), 2, texts=texts, cache_dir=tmp_path)
    return tok


def _rows(texts: list[str], dialogue: str = "") -> datasets.Dataset:
    return rows_to_dataset(
        [
            Row(
                id=f"r{i}",
                text=text,
                labels=["a"],
                multi_hot=[1.0, 0.0],
                taxonomy="toy",
                dialogue_id=dialogue,
                turn=i if dialogue else -1,
                speaker="s",
            )
            for i, text in enumerate(texts)
        ]
    )


def test_second_identical_call_reloads_the_cached_file(
    tokenizer: PreTrainedTokenizerBase, tmp_path: Path
) -> None:
    ds = _rows(["i am so happy", "you said that again", "we went home"])
    cache = tmp_path / "cache"
    first = tokenize_rows(ds, tokenizer, 32, cache_dir=cache)
    files = list((cache / "tokenized").glob("*.arrow"))
    assert len(files) == 1
    written = files[0].stat().st_mtime_ns
    second = tokenize_rows(ds, tokenizer, 32, cache_dir=cache)
    assert files[0].stat().st_mtime_ns == written
    assert second.cache_files[0]["filename"] == str(files[0])
    assert second["input_ids"] == first["input_ids"]
    assert second["length"] == [len(ids) for ids in first["input_ids"]]
    assert second["labels"] == [[1.0, 0.0]] * 3
    # another max length or other rows are another cache entry
    tokenize_rows(ds, tokenizer, 16, cache_dir=cache)
    tokenize_rows(ds.select([0, 1]), tokenizer, 32, cache_dir=cache)
    assert len(list((cache / "tokenized").glob("*.arrow"))) == 3


def test_long_texts_are_truncated_to_max_length(tokenizer: PreTrainedTokenizerBase) -> None:
    ds = _rows([" ".join(WORDS * 5)])
    out = tokenize_rows(ds, tokenizer, 12, cache_dir=None)
    assert out["length"] == [12]


def test_context_is_the_first_segment_and_is_cut_first(
    tokenizer: PreTrainedTokenizerBase,
) -> None:
    turns = ["i am so happy today", "you said that", "we went home again"]
    ds = _rows(turns, dialogue="d1")
    plain = tokenize_rows(ds, tokenizer, 64, cache_dir=None)
    with_context = tokenize_rows(ds, tokenizer, 64, cache_dir=None, context_window=1)
    # the first turn has no context; the third sees only the second (window 1)
    assert with_context["input_ids"][0] == plain["input_ids"][0]
    third = with_context["input_ids"][2]
    expected_context = tokenizer(turns[1], add_special_tokens=False)["input_ids"]
    expected_text = tokenizer(turns[2], add_special_tokens=False)["input_ids"]
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    assert third == [cls, *expected_context, sep, *expected_text, sep]
    types = with_context["token_type_ids"][2]
    assert types == [0] * (len(expected_context) + 2) + [1] * (len(expected_text) + 1)

    # room for the utterance and one context token: the context keeps its last token
    tight = tokenize_rows(ds, tokenizer, len(expected_text) + 4, cache_dir=None, context_window=2)
    assert tight["input_ids"][2] == [cls, expected_context[-1], sep, *expected_text, sep]


def test_an_utterance_longer_than_the_limit_drops_its_context(
    tokenizer: PreTrainedTokenizerBase,
) -> None:
    ds = _rows(["you said that", " ".join(WORDS * 3)], dialogue="d1")
    out = tokenize_rows(ds, tokenizer, 10, cache_dir=None, context_window=1)
    assert out["length"][1] == 10
    assert set(out["token_type_ids"][1]) == {0}
