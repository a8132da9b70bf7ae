"""The trained classifier predicts where and how it was trained: on the training device, in
the trainer's precision, through the tokenization cache; under DDP, validation metrics are
computed once over every rank's rows."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import datasets
import pytest
import torch
from torch import nn

from emoexp.cache.artifacts import ArtifactStore
from emoexp.data.schema import Row, rows_to_dataset
from emoexp.data.taxonomy import Taxonomy
from emoexp.models.config import ModelConfig
from emoexp.stages.train import Trained, train_stage
from emoexp.training.classifier import Classifier
from emoexp.training.config import TrainerConfig
from emoexp.training.gather import gather_shards

TAXONOMY = Taxonomy(name="toy", labels=("joy", "anger", "fear"))
WORDS = {"joy": "glad", "anger": "furious", "fear": "scared"}
PROJECT_DIR = Path(__file__).resolve().parents[1]
TINY = ModelConfig(name="tiny", pretrained="tiny", batch_size=8, eval_batch_size=8)


def _rows(n: int, split: str, seed: int) -> datasets.Dataset:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        label = rng.choice(TAXONOMY.labels)
        rows.append(
            Row(
                id=f"{split}-{i}",
                text=f"i feel so {WORDS[label]} about it" + " today" * rng.randint(0, 4),
                labels=[label],
                multi_hot=TAXONOMY.multi_hot([label]),
                taxonomy="toy",
                split=split,
            )
        )
    return rows_to_dataset(rows)


def _train(tmp_path: Path, trainer: TrainerConfig) -> Trained:
    return train_stage(
        _rows(32, "train", 0), _rows(16, "validation", 1), ["rows"], TAXONOMY, TINY, trainer,
        context_window=0, seed=0, loggers=[], job_dir=tmp_path / "job",
        store=ArtifactStore(tmp_path / "cache"),
    )  # fmt: skip


def _prediction_dtypes(classifier: Classifier, rows: datasets.Dataset) -> set[torch.dtype]:
    """The dtypes the encoder's linear layers computed in while predicting `rows`."""
    seen: set[torch.dtype] = set()
    hooks = [
        module.register_forward_hook(lambda _m, _i, out: seen.add(out.dtype))
        for module in classifier.model.modules()
        if isinstance(module, nn.Linear)
    ]
    try:
        classifier.predict_proba(rows)
    finally:
        for hook in hooks:
            hook.remove()
    return seen


def _tokenized_files(tmp_path: Path) -> set[str]:
    return {p.name for p in (tmp_path / "cache" / "tokenized").glob("*.arrow")}


@pytest.mark.slow
def test_the_trained_model_predicts_in_the_trainers_precision_and_device(tmp_path: Path) -> None:
    trainer = TrainerConfig(
        accelerator="cpu", precision="bf16-mixed", max_epochs=1, enable_progress_bar=False
    )
    for attempt in ("trained", "reused"):
        trained = _train(tmp_path, trainer)
        assert trained.reused == (attempt == "reused")
        classifier = trained.classifier
        assert (classifier.device, classifier.precision) == ("cpu", "bf16-mixed")
        assert _prediction_dtypes(classifier, _rows(8, "test", 2)) == {torch.bfloat16}
        assert {p.device.type for p in classifier.model.parameters()} == {"cpu"}
        # test rows are tokenized once into the shared cache, then read back
        before = _tokenized_files(tmp_path)
        classifier.predict_proba(_rows(12, f"test-{attempt}", 3))
        added = _tokenized_files(tmp_path) - before
        assert len(added) == 1
        classifier.predict_proba(_rows(12, f"test-{attempt}", 3))
        assert _tokenized_files(tmp_path) - before == added


@pytest.mark.slow
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_on_a_gpu_the_trained_model_stays_on_it(tmp_path: Path) -> None:
    trainer = TrainerConfig(
        accelerator="gpu", precision="bf16-mixed", max_epochs=1, enable_progress_bar=False
    )
    classifier = _train(tmp_path, trainer).classifier
    assert classifier.device == "cuda" and classifier.precision == "bf16-mixed"
    assert _prediction_dtypes(classifier, _rows(8, "test", 2)) == {torch.bfloat16}
    assert {p.device.type for p in classifier.model.parameters()} == {"cuda"}


RANK_SCRIPT = """
import sys
from pathlib import Path

import torch
import torch.distributed as dist

from emoexp.training.gather import gather_shards

rank, init_file, out_dir = int(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=2)
# rank 0 scored two batches (3 + 2 rows), rank 1 one batch (1 row): unequal shards
sizes = [[3, 2], [1]][rank]
logits = [torch.full((n, 2), float(rank * 10 + i)) for i, n in enumerate(sizes)]
targets = [torch.full((n, 2), rank) for n in sizes]
torch.save(gather_shards(logits, targets), out_dir / f"rank{rank}.pt")
dist.destroy_process_group()
"""


@pytest.mark.slow
def test_validation_predictions_are_gathered_from_every_rank(tmp_path: Path) -> None:
    ranks = [
        subprocess.Popen(
            [sys.executable, "-c", RANK_SCRIPT, str(rank), str(tmp_path / "init"), str(tmp_path)],
            cwd=PROJECT_DIR,
        )
        for rank in range(2)
    ]
    assert [process.wait(timeout=300) for process in ranks] == [0, 0]
    for rank in range(2):
        logits, targets = torch.load(tmp_path / f"rank{rank}.pt")
        assert logits[:, 0].tolist() == [0, 0, 0, 1, 1, 10]
        assert targets[:, 0].tolist() == [0, 0, 0, 0, 0, 1]


def test_without_distribution_gathering_concatenates_the_local_batches() -> None:
    logits = [torch.zeros(2, 3), torch.ones(1, 3)]
    targets = [torch.zeros(2, 3), torch.ones(1, 3)]
    gathered = gather_shards(logits, targets)
    assert gathered is not None and gathered[0].shape == (3, 3)
    assert gather_shards([], []) is None
