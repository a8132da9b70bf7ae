"""A trained classifier: tokenizer + model + label names, with prediction, save and load."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import datasets
import numpy as np
import torch
from safetensors.torch import load_model, save_model
from transformers import AutoConfig, AutoModel, AutoTokenizer, PreTrainedTokenizerBase

from emoexp.models.network import MultiLabelClassifier
from emoexp.training.batching import sorted_batches
from emoexp.training.datamodule import pad_collator, tokenized_rows
from emoexp.training.precision import usable_precision

FORMAT_VERSION = 1
WEIGHTS_FILE = "model.safetensors"
META_FILE = "classifier.json"


@dataclass
class Classifier:
    """What `train_classifier` returns and evaluation consumes."""

    tokenizer: PreTrainedTokenizerBase
    model: MultiLabelClassifier
    label_names: list[str]
    taxonomy: str
    max_length: int
    context_window: int = 0
    eval_batch_size: int = 64
    device: str = "cpu"
    # "bf16-mixed" predicts under bf16 autocast, as the model was trained; else float32
    precision: str = "32-true"
    cache_dir: Path | None = None
    # how training went: start epoch, resumed checkpoint, steps, last logged metrics
    training: dict[str, Any] = field(default_factory=dict)

    @torch.inference_mode()
    def predict_proba(self, ds: datasets.Dataset) -> np.ndarray:
        """Sigmoid probabilities [len(ds), num_labels] in the row order of `ds`."""
        num_labels = len(self.label_names)
        if len(ds) == 0:
            return np.zeros((0, num_labels), dtype=np.float32)
        rows = tokenized_rows(
            ds,
            self.tokenizer,
            self.max_length,
            cache_dir=self.cache_dir,
            context_window=self.context_window,
        )
        collate = pad_collator(self.tokenizer)
        self.model.to(self.device).eval()
        probs = np.zeros((len(ds), num_labels), dtype=np.float32)
        device_type = "cuda" if self.device.startswith("cuda") else "cpu"
        use_bf16 = self.precision.startswith("bf16")
        for batch_rows in sorted_batches(rows.lengths, self.eval_batch_size):
            batch = collate([rows[i] for i in batch_rows])
            with torch.autocast(device_type, dtype=torch.bfloat16, enabled=use_bf16):
                logits = self.model(
                    batch["input_ids"].to(self.device),
                    batch["attention_mask"].to(self.device),
                    batch["token_type_ids"].to(self.device) if "token_type_ids" in batch else None,
                )
            probs[batch_rows] = logits.float().sigmoid().cpu().numpy()
        return probs

    def save(self, directory: Path | str) -> Path:
        """Weights as safetensors, the tokenizer, the encoder config and a small json."""
        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        save_model(self.model.cpu(), str(folder / WEIGHTS_FILE))
        self.tokenizer.save_pretrained(folder / "tokenizer")
        self.model.encoder.config.save_pretrained(folder / "encoder")
        meta = {
            "format_version": FORMAT_VERSION,
            "label_names": self.label_names,
            "taxonomy": self.taxonomy,
            "max_length": self.max_length,
            "context_window": self.context_window,
            "eval_batch_size": self.eval_batch_size,
            "precision": self.precision,
            "pooling": self.model.pooling,
            "dropout": self.model.dropout.p,
            "training": self.training,
        }
        (folder / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True))
        return folder

    @classmethod
    def load(
        cls,
        directory: Path | str,
        *,
        device: str = "cpu",
        cache_dir: Path | None = None,
        precision: str | None = None,
    ) -> Classifier:
        """Rebuild a saved classifier; needs no access to the original checkpoint.

        An explicit `precision` (the trainer's, when the machine that trained reloads) is kept
        as given; the saved one predicts in float32 on a CPU without native bf16, where
        emulated bf16 is slow."""
        folder = Path(directory)
        meta_path = folder / META_FILE
        if not meta_path.is_file():
            raise FileNotFoundError(f"{folder} holds no saved classifier ({META_FILE} missing)")
        meta = json.loads(meta_path.read_text())
        if meta.get("format_version") != FORMAT_VERSION:
            raise ValueError(
                f"{folder}: unsupported classifier format {meta.get('format_version')}"
            )
        encoder = AutoModel.from_config(AutoConfig.from_pretrained(folder / "encoder"))
        model = MultiLabelClassifier(
            encoder, len(meta["label_names"]), meta["pooling"], meta["dropout"]
        )
        load_model(model, str(folder / WEIGHTS_FILE))
        return cls(
            tokenizer=AutoTokenizer.from_pretrained(folder / "tokenizer"),
            model=model.eval(),
            label_names=list(meta["label_names"]),
            taxonomy=meta["taxonomy"],
            max_length=int(meta["max_length"]),
            context_window=int(meta["context_window"]),
            eval_batch_size=int(meta["eval_batch_size"]),
            device=device,
            precision=precision or usable_precision(meta.get("precision", "32-true"), device),
            cache_dir=cache_dir,
            training=dict(meta.get("training", {})),
        )
