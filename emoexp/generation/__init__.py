"""Generation strategies: how prompts are built and replies become rows.

Names are imported lazily: the config schema imports `emoexp.generation.config`, and
composing a config must not wait for datasets or torch.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emoexp.generation.card import dataset_card, push_to_hub
    from emoexp.generation.config import GenConfig
    from emoexp.generation.run import GenerationOutput, generate

_EXPORTS = {
    "dataset_card": "emoexp.generation.card",
    "push_to_hub": "emoexp.generation.card",
    "GenConfig": "emoexp.generation.config",
    "GenerationOutput": "emoexp.generation.run",
    "generate": "emoexp.generation.run",
}

__all__ = [
    "GenConfig",
    "GenerationOutput",
    "dataset_card",
    "generate",
    "push_to_hub",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'emoexp.generation' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
