"""Schema of the `trainer/` group: Lightning Trainer settings."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class TrainerConfig:
    accelerator: str = "cpu"
    devices: int = 1
    num_nodes: int = 1
    strategy: str = "auto"
    # a Lightning precision ("32-true", "bf16-mixed", ...) or "auto": bf16-mixed where the
    # device computes bf16 natively (CPUs with AVX512-BF16 or AMX, GPUs with bf16), else
    # 32-true. On such CPUs bf16 roughly halves a MiniLM step at unchanged test AP.
    precision: str = "32-true"
    max_epochs: int = 3
    max_steps: int = -1
    gradient_clip_val: float = 1.0
    accumulate_grad_batches: int = 1
    log_every_n_steps: int = 20
    deterministic: bool = True
    num_workers: int = 0
    # resume from the job folder's last checkpoint when one exists
    resume: bool = True
    enable_progress_bar: bool = True
