"""A tiny randomly initialised BERT and a WordPiece vocabulary built on the fly.

It exercises the exact code path of real checkpoints (AutoModel, a fast tokenizer, pair
inputs, save and load) in seconds and without any downloaded weights.

The vocabulary is counted, not trained: `tokenizers`' WordPieceTrainer breaks ties in hash-map
order, which differs per process, so the same texts gave different vocabularies (and
different metrics for the same seed). Here every character seen (as a word start and as a
`##` continuation) and then the most frequent whole words fill the vocabulary, ties broken
alphabetically: the same texts always give the same ids.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from tokenizers import (
    Tokenizer,
    decoders,
    models,
    normalizers,
    pre_tokenizers,
    processors,
)
from transformers import AutoTokenizer, BertConfig, BertModel, PreTrainedTokenizerBase

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


def texts_digest(texts: Iterable[str], vocab_size: int) -> str:
    """Identity of a tokenizer trained on `texts`: same texts and size, same vocabulary."""
    digest = hashlib.sha256(f"counted-wordpiece-{vocab_size}".encode())
    for text in texts:
        digest.update(text.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def counted_vocab(texts: Sequence[str], vocab_size: int) -> dict[str, int]:
    """Special tokens, every character (by frequency, then code point), then whole words
    (by frequency, then alphabetically) up to `vocab_size`: deterministic for given texts."""
    normalizer = normalizers.BertNormalizer(lowercase=True)
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    words: Counter[str] = Counter()
    for text in texts:
        words.update(
            word for word, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(text))
        )
    pieces: Counter[str] = Counter()
    for word, count in words.items():
        pieces[word[0]] += count
        for char in word[1:]:
            pieces[f"##{char}"] += count
    tokens = list(SPECIAL_TOKENS)
    by_frequency = sorted(pieces, key=lambda piece: (-pieces[piece], piece))
    tokens += by_frequency[: max(0, vocab_size - len(tokens))]
    known = set(tokens)
    whole_words = sorted(
        (word for word in words if word not in known), key=lambda word: (-words[word], word)
    )
    tokens += whole_words[: max(0, vocab_size - len(tokens))]
    return {token: index for index, token in enumerate(tokens)}


def _train_wordpiece(texts: Sequence[str], vocab_size: int) -> Tokenizer:
    tokenizer = Tokenizer(
        models.WordPiece(vocab=counted_vocab(texts, vocab_size), unk_token="[UNK]")
    )
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece()
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    return tokenizer


def tiny_tokenizer(
    texts: Sequence[str], vocab_size: int, cache_dir: Path | None
) -> PreTrainedTokenizerBase:
    """Train (or reload from `cache_dir`) a WordPiece tokenizer on the training texts."""
    from transformers import PreTrainedTokenizerFast

    if not texts:
        raise ValueError("the tiny model trains its vocabulary on the training texts: none given")
    folder = None
    if cache_dir is not None:
        folder = Path(cache_dir) / "tokenizers" / f"tiny-{texts_digest(texts, vocab_size)}"
        if (folder / "tokenizer.json").is_file():
            return AutoTokenizer.from_pretrained(folder)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=_train_wordpiece(texts, vocab_size),
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_input_names=["input_ids", "token_type_ids", "attention_mask"],
    )
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        fast.save_pretrained(folder)
    return fast


def tiny_bert(vocab_size: int, pad_token_id: int) -> BertModel:
    """A 2-layer, 32-wide BERT with random weights (seeded by the caller's RNG state)."""
    config = BertConfig(
        vocab_size=vocab_size,
        pad_token_id=pad_token_id,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512,
    )
    return BertModel(config, add_pooling_layer=False)
