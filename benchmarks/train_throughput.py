"""Training throughput: emoexp against the transformers `Trainer` a user would run instead.

Same encoder (all-MiniLM-L6-v2 from its wheel), same GoEmotions rows mapped to emo11, same
batch size and epochs, measured one after another in one process:

  (a) `Trainer` set up as transformers' run_classification.py does for multi-label:
      AutoModelForSequenceClassification, problem_type multi_label_classification,
      every text padded to 128 tokens;
  (b) the same `Trainer` with dynamic padding and length-grouped sampling;
  (c) emoexp's `train_classifier` with the default model and trainer configs;
  (d) the `Trainer` on equal terms with (c): the same module (encoder, mean pooling, dropout,
      head), the same frozen word embeddings, the same optimiser groups (head learning rate)
      and warmup schedule, the same precision, dynamic padding and length grouping.

Two questions, printed apart: "defaults" compares what a user gets from each tool out of the
box ((a), (b) against (c): modelling choices and engine together); "engines" compares (c)
with (d), where only the training engine differs (Lightning loop, emoexp's batch sampler and
tokenization cache against the Trainer's).

Samples/s count training rows per second of wall time around the training call (for emoexp
that call also loads the model, tokenizes and writes the checkpoint; the Trainer figures
exclude model loading and tokenization). Test AP-micro is scored on held-out test rows, with
a TF-IDF + logistic-regression baseline beside them.

    python benchmarks/train_throughput.py                 # 5,000 rows, 1,000 test rows
    python benchmarks/train_throughput.py --full-test     # score on all 5,427 test rows
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse
import logging
import tempfile
import time
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

import datasets
import numpy as np
import torch
from omegaconf import OmegaConf
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from torch.optim.lr_scheduler import LambdaLR
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    DataCollatorWithPadding,
    Trainer,
    TrainingArguments,
)
from transformers.trainer_pt_utils import LengthGroupedSampler

from emoexp.data.config import DataConfig
from emoexp.data.loading import load_corpus, map_corpus
from emoexp.data.sampling import sample_rows
from emoexp.data.taxonomy import Taxonomy, load_mapping, load_taxonomy
from emoexp.metrics.multilabel import multilabel_metrics
from emoexp.models.config import ModelConfig
from emoexp.models.encoder import load_encoder, resolve_pretrained
from emoexp.paths import CONF_DIR, PROJECT_DIR
from emoexp.training.batching import LengthGroupedBatchSampler, padding_fraction
from emoexp.training.config import TrainerConfig
from emoexp.training.fit import train_classifier
from emoexp.training.module import linear_warmup_decay, parameter_groups
from emoexp.training.precision import resolve_precision
from emoexp.training.tokenization import tokenize_rows

PADDED_LENGTH = 128


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5000, help="training rows (seeded sample)")
    parser.add_argument("--test-rows", type=int, default=1000, help="test rows scored")
    parser.add_argument("--full-test", action="store_true", help="score all test rows")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--data-dir",
        default=os.environ.get("EMOEXP_DATA_DIR", str(PROJECT_DIR.parent / "shared" / "datasets")),
    )
    parser.add_argument(
        "--arms",
        default="tfidf,padded,grouped,emoexp,equal",
        help="comma-separated subset of tfidf, padded (a), grouped (b), emoexp (c), equal (d)",
    )
    return parser.parse_args()


def load_rows(
    args: argparse.Namespace,
) -> tuple[datasets.Dataset, datasets.Dataset, Taxonomy]:
    corpus = load_corpus(DataConfig(name="goemotions", folder="goemotions"), args.data_dir)
    taxonomy = load_taxonomy("emo11")
    mapped, _ = map_corpus(corpus.splits, load_mapping("goemotions", "emo11"), taxonomy)
    train = sample_rows(mapped["train"], args.rows, args.seed)
    test_rows = None if args.full_test else args.test_rows
    test = sample_rows(mapped["test"], test_rows, args.seed)
    return train, test, taxonomy


def default_configs(args: argparse.Namespace) -> tuple[ModelConfig, TrainerConfig]:
    """conf/model/minilm.yaml and conf/trainer/cpu.yaml over their schemas."""
    model = OmegaConf.merge(
        OmegaConf.structured(ModelConfig), OmegaConf.load(CONF_DIR / "model" / "minilm.yaml")
    )
    trainer = OmegaConf.merge(
        OmegaConf.structured(TrainerConfig), OmegaConf.load(CONF_DIR / "trainer" / "cpu.yaml")
    )
    model_cfg: ModelConfig = OmegaConf.to_object(model)  # type: ignore[assignment]
    trainer_cfg: TrainerConfig = OmegaConf.to_object(trainer)  # type: ignore[assignment]
    trainer_cfg = replace(
        trainer_cfg,
        max_epochs=args.epochs,
        enable_progress_bar=False,
        resume=False,
    )
    return replace(model_cfg, batch_size=args.batch_size), trainer_cfg


def ap_micro(probs: np.ndarray, test: datasets.Dataset, taxonomy: Taxonomy) -> float:
    return multilabel_metrics(probs, np.asarray(test["multi_hot"]), taxonomy.labels)["ap_micro"]


def tfidf_baseline(train: datasets.Dataset, test: datasets.Dataset, taxonomy: Taxonomy) -> float:
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    features = vectorizer.fit_transform(train["text"])
    classifier = OneVsRestClassifier(LogisticRegression(C=4.0, max_iter=2000))
    classifier.fit(features, np.asarray(train["multi_hot"]))
    return ap_micro(classifier.predict_proba(vectorizer.transform(test["text"])), test, taxonomy)


def trainer_grouped_padding(lengths: list[int], batch_size: int, seed: int) -> float:
    """Padding share of the batches transformers' `LengthGroupedSampler` draws."""
    generator = torch.Generator().manual_seed(seed)
    order = list(LengthGroupedSampler(batch_size, lengths=lengths, generator=generator))
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    return padding_fraction(batches, lengths)


def trainer_arm(
    train: datasets.Dataset,
    test: datasets.Dataset,
    taxonomy: Taxonomy,
    model_cfg: ModelConfig,
    args: argparse.Namespace,
    *,
    grouped: bool,
    work_dir: Path,
) -> dict[str, Any]:
    """transformers' Trainer on the same rows: (a) padded to 128, or (b) dynamic + grouped."""
    source = resolve_pretrained(model_cfg.pretrained)
    tokenizer = AutoTokenizer.from_pretrained(source)

    def encode(batch: dict[str, list[Any]]) -> dict[str, Any]:
        encoded = tokenizer(
            batch["text"],
            padding=False if grouped else "max_length",
            max_length=PADDED_LENGTH,
            truncation=True,
        )
        encoded["labels"] = batch["multi_hot"]
        encoded["length"] = [sum(mask) for mask in encoded["attention_mask"]]
        return encoded

    columns = train.column_names
    train_enc = train.map(encode, batched=True, remove_columns=columns)
    test_enc = test.map(encode, batched=True, remove_columns=columns)
    torch.manual_seed(args.seed)
    model = AutoModelForSequenceClassification.from_pretrained(
        source,
        num_labels=len(taxonomy.labels),
        problem_type="multi_label_classification",
        dtype=torch.float32,
    )
    training_args = TrainingArguments(
        output_dir=str(work_dir / ("grouped" if grouped else "padded")),
        per_device_train_batch_size=args.batch_size,
        per_device_eval_batch_size=64,
        num_train_epochs=args.epochs,
        learning_rate=model_cfg.learning_rate,
        weight_decay=model_cfg.weight_decay,
        warmup_steps=model_cfg.warmup_ratio,
        train_sampling_strategy="group_by_length" if grouped else "random",
        save_strategy="no",
        logging_strategy="no",
        report_to="none",
        use_cpu=True,
        seed=args.seed,
        disable_tqdm=True,
    )
    trainer = Trainer(
        model=model,
        args=training_args,
        train_dataset=train_enc,
        data_collator=DataCollatorWithPadding(tokenizer) if grouped else None,
    )
    start = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - start
    logits = trainer.predict(test_enc).predictions
    probs = torch.sigmoid(torch.from_numpy(np.asarray(logits))).numpy()
    lengths = train_enc["length"]
    if grouped:
        padding = trainer_grouped_padding(lengths, args.batch_size, args.seed)
    else:
        padding = 1.0 - float(np.mean(lengths)) / PADDED_LENGTH
    return {
        "seconds": seconds,
        "samples_per_s": len(train) * args.epochs / seconds,
        "padding": padding,
        "ap_micro": ap_micro(probs, test, taxonomy),
    }


class LossAdapter(torch.nn.Module):
    """emoexp's classifier with the loss the Trainer expects from `forward(labels=...)`."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
    ) -> dict[str, torch.Tensor]:
        logits = self.model(input_ids, attention_mask, token_type_ids)
        out = {"logits": logits}
        if labels is not None:
            out["loss"] = torch.nn.functional.binary_cross_entropy_with_logits(
                logits.float(), labels.float()
            )
        return out


def equal_terms_arm(
    train: datasets.Dataset,
    test: datasets.Dataset,
    taxonomy: Taxonomy,
    model_cfg: ModelConfig,
    trainer_cfg: TrainerConfig,
    args: argparse.Namespace,
    *,
    work_dir: Path,
) -> dict[str, Any]:
    """(d) the Trainer training exactly emoexp's model, optimiser and precision."""
    torch.manual_seed(args.seed)
    tokenizer, model = load_encoder(model_cfg, len(taxonomy.labels))
    precision = resolve_precision(trainer_cfg)
    if precision == "bf16-true":
        model = model.to(torch.bfloat16)

    def encode(batch: dict[str, list[Any]]) -> dict[str, Any]:
        encoded = tokenizer(batch["text"], max_length=model_cfg.max_length, truncation=True)
        encoded["labels"] = batch["multi_hot"]
        encoded["length"] = [len(ids) for ids in encoded["input_ids"]]
        return encoded

    columns = train.column_names
    train_enc = train.map(encode, batched=True, remove_columns=columns)
    test_enc = test.map(encode, batched=True, remove_columns=columns)
    steps = -(-len(train_enc) // args.batch_size) * args.epochs
    optimizer = torch.optim.AdamW(parameter_groups(model, model_cfg))
    warmup = round(steps * model_cfg.warmup_ratio)
    scheduler = LambdaLR(optimizer, linear_warmup_decay(warmup, steps))
    training_args = TrainingArguments(
        output_dir=str(work_dir / "equal"),
        per_device_train_batch_size=args.batch_size,
        per_device_eval_batch_size=model_cfg.eval_batch_size,
        num_train_epochs=args.epochs,
        train_sampling_strategy="group_by_length",
        bf16=precision == "bf16-mixed",
        save_strategy="no",
        logging_strategy="no",
        report_to="none",
        use_cpu=True,
        seed=args.seed,
        disable_tqdm=True,
    )
    trainer = Trainer(
        model=LossAdapter(model),
        args=training_args,
        train_dataset=train_enc,
        data_collator=DataCollatorWithPadding(tokenizer),
        optimizers=(optimizer, scheduler),
    )
    start = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - start
    logits = trainer.predict(test_enc).predictions
    probs = torch.sigmoid(torch.from_numpy(np.asarray(logits, dtype=np.float32))).numpy()
    return {
        "seconds": seconds,
        "samples_per_s": len(train) * args.epochs / seconds,
        "padding": trainer_grouped_padding(train_enc["length"], args.batch_size, args.seed),
        "ap_micro": ap_micro(probs, test, taxonomy),
    }


def emoexp_arm(
    train: datasets.Dataset,
    test: datasets.Dataset,
    taxonomy: Taxonomy,
    model_cfg: ModelConfig,
    trainer_cfg: TrainerConfig,
    args: argparse.Namespace,
    *,
    work_dir: Path,
) -> dict[str, Any]:
    cache_dir = work_dir / "cache"
    start = time.perf_counter()
    classifier = train_classifier(
        train,
        None,
        taxonomy,
        model_cfg,
        trainer_cfg,
        loggers=[],
        job_dir=work_dir / "emoexp-job",
        cache_dir=cache_dir,
        seed=args.seed,
    )
    seconds = time.perf_counter() - start
    probs = classifier.predict_proba(test)
    # the batches of the first epoch exactly as the training loader drew them
    lengths = tokenize_rows(train, classifier.tokenizer, model_cfg.max_length, cache_dir=cache_dir)[
        "length"
    ]
    batches = list(LengthGroupedBatchSampler(lengths, model_cfg.batch_size, seed=args.seed))
    return {
        "seconds": seconds,
        "samples_per_s": len(train) * args.epochs / seconds,
        "padding": padding_fraction(batches, lengths),
        "ap_micro": ap_micro(probs, test, taxonomy),
    }


def main() -> None:
    args = parse_args()
    arms = set(args.arms.split(","))
    warnings.filterwarnings("ignore")
    logging.getLogger("pytorch_lightning").setLevel(logging.WARNING)
    datasets.disable_progress_bars()
    train, test, taxonomy = load_rows(args)
    model_cfg, trainer_cfg = default_configs(args)
    print(
        f"rows: train {len(train)}, test {len(test)}; batch {args.batch_size}; "
        f"epochs {args.epochs}; torch threads {torch.get_num_threads()}; "
        f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}"
    )
    print(
        f"emoexp config: lr {model_cfg.learning_rate}, head lr {model_cfg.head_learning_rate}, "
        f"warmup {model_cfg.warmup_ratio}, max_length {model_cfg.max_length}, "
        f"pooling {model_cfg.pooling}, freeze_embeddings {model_cfg.freeze_embeddings}, "
        f"precision {trainer_cfg.precision} -> {resolve_precision(trainer_cfg)} "
        f"(the Trainer arms run float32, as run_classification.py does on CPU)"
    )
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="emoexp-bench-") as tmp:
        work_dir = Path(tmp)
        if "tfidf" in arms:
            print(f"tfidf+lr baseline      AP-micro {tfidf_baseline(train, test, taxonomy):.4f}")
        if "emoexp" in arms:
            results["emoexp"] = emoexp_arm(
                train, test, taxonomy, model_cfg, trainer_cfg, args, work_dir=work_dir
            )
        if "equal" in arms:
            results["equal"] = equal_terms_arm(
                train, test, taxonomy, model_cfg, trainer_cfg, args, work_dir=work_dir
            )
        if "grouped" in arms:
            results["grouped"] = trainer_arm(
                train, test, taxonomy, model_cfg, args, grouped=True, work_dir=work_dir
            )
        if "padded" in arms:
            results["padded"] = trainer_arm(
                train, test, taxonomy, model_cfg, args, grouped=False, work_dir=work_dir
            )
    titles = {
        "padded": "(a) Trainer, padded 128",
        "grouped": "(b) Trainer, dynamic+grouped",
        "emoexp": "(c) emoexp",
        "equal": "(d) Trainer, equal terms",
    }
    for name in ("padded", "grouped", "emoexp", "equal"):
        if name in results:
            r = results[name]
            print(
                f"{titles[name]:<30} {r['samples_per_s']:7.1f} samples/s  "
                f"({r['seconds']:6.1f} s)  padded tokens {r['padding']:6.1%}  "
                f"test AP-micro {r['ap_micro']:.4f}"
            )
    if "emoexp" in results:
        emoexp_speed = results["emoexp"]["samples_per_s"]
        comparisons = (("defaults", "padded"), ("defaults", "grouped"), ("engines", "equal"))
        for question, name in comparisons:
            if name in results:
                ratio = emoexp_speed / results[name]["samples_per_s"]
                print(f"{question}: emoexp / {titles[name]}: {ratio:.2f}x")


if __name__ == "__main__":
    main()
