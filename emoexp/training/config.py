"""Schema of the `trainer/` group: Lightning Trainer settings."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class TrainerConfig:
    accelerator: str = "cpu"
    devices: int = 1
    num_nodes: int = 1
    strategy: str = "auto"
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
