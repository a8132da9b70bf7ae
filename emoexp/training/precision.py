"""Which device and numeric precision training and prediction run in."""

from __future__ import annotations

import torch

from emoexp.training.config import TrainerConfig


def native_cpu_bf16() -> bool:
    """Whether this CPU multiplies bf16 in hardware; emulated bf16 would be slower than fp32."""
    return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())


def prediction_device(trainer_cfg: TrainerConfig) -> str:
    wants_gpu = trainer_cfg.accelerator in ("gpu", "cuda", "auto")
    return "cuda" if wants_gpu and torch.cuda.is_available() else "cpu"


def resolve_precision(trainer_cfg: TrainerConfig) -> str:
    """The Lightning precision to use; "auto" picks bf16-mixed only where it is native."""
    if trainer_cfg.precision != "auto":
        return trainer_cfg.precision
    if prediction_device(trainer_cfg) == "cuda":
        return "bf16-mixed" if torch.cuda.is_bf16_supported() else "32-true"
    return "bf16-mixed" if native_cpu_bf16() else "32-true"


def usable_precision(precision: str, device: str) -> str:
    """A saved bf16 model predicts in float32 on a CPU without native bf16."""
    if precision.startswith("bf16") and not device.startswith("cuda") and not native_cpu_bf16():
        return "32-true"
    return precision
