"""Evaluation throughput (rows/s) of the CPU default model on the GoEmotions test split.

    OMP_WAIT_POLICY=PASSIVE python benchmarks/eval_throughput.py [--rows 5427] [--batch-size 64]

The MiniLM encoder (embedded default) gets a fresh, untrained 11-label head: speed does not
depend on what the head learned. Rows go through the same `Classifier.predict_proba` and
`evaluate` path a job uses (length-grouped batches, metrics on every emo11 label).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

PROJECT_DIR = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir",
        default=os.environ.get("EMOEXP_DATA_DIR", str(PROJECT_DIR.parent / "shared" / "datasets")),
    )
    parser.add_argument("--rows", type=int, default=0, help="cap on test rows (0: all)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = parser.parse_args()

    import torch
    from omegaconf import OmegaConf

    from emoexp.data.config import DataConfig
    from emoexp.data.loading import load_corpus, map_corpus
    from emoexp.data.sampling import sample_rows
    from emoexp.data.taxonomy import load_mapping, load_taxonomy
    from emoexp.evaluation.scoring import evaluate
    from emoexp.models.config import ModelConfig
    from emoexp.models.encoder import load_encoder
    from emoexp.training.classifier import Classifier

    if args.threads:
        torch.set_num_threads(args.threads)
    conf = PROJECT_DIR / "conf"
    data_cfg = OmegaConf.to_object(
        OmegaConf.merge(
            OmegaConf.structured(DataConfig), OmegaConf.load(conf / "data" / "goemotions.yaml")
        )
    )
    model_cfg = OmegaConf.to_object(
        OmegaConf.merge(
            OmegaConf.structured(ModelConfig), OmegaConf.load(conf / "model" / "minilm.yaml")
        )
    )
    taxonomy = load_taxonomy("emo11")

    t0 = time.perf_counter()
    corpus = load_corpus(data_cfg, args.data_dir)
    splits, _ = map_corpus(
        corpus.splits, load_mapping(data_cfg.source_taxonomy, taxonomy.name), taxonomy
    )
    test = splits["test"]
    if args.rows:
        test = sample_rows(test, args.rows, 0)
    load_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    tokenizer, model = load_encoder(model_cfg, len(taxonomy.labels))
    classifier = Classifier(
        tokenizer=tokenizer,
        model=model.eval(),
        label_names=list(taxonomy.labels),
        taxonomy=taxonomy.name,
        max_length=model_cfg.max_length,
        eval_batch_size=args.batch_size,
    )
    model_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    result = evaluate(classifier, {"test": test}, taxonomy)["test"]
    eval_s = time.perf_counter() - t0
    predict_s = result["predict_seconds"]
    print(
        f"rows: {len(test)} (GoEmotions test mapped to emo11), batch {args.batch_size}, "
        f"torch threads {torch.get_num_threads()}"
    )
    print(f"load + map corpus: {load_s:.1f} s; build MiniLM classifier: {model_s:.1f} s")
    print(f"predict_proba: {predict_s:.1f} s -> {len(test) / predict_s:.0f} rows/s")
    print(f"evaluate (predict + metrics): {eval_s:.1f} s -> {len(test) / eval_s:.0f} rows/s")
    print(f"ap_micro of the untrained head (chance level expected): {result['ap_micro']:.3f}")


if __name__ == "__main__":
    main()
