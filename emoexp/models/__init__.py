"""The encoder and its multi-label head.

Names are imported lazily: the config schema imports `emoexp.models.config`, and composing
a config must not wait for torch or transformers.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emoexp.models.encoder import load_encoder
    from emoexp.models.network import MultiLabelClassifier

_EXPORTS = {
    "MultiLabelClassifier": "emoexp.models.network",
    "load_encoder": "emoexp.models.encoder",
}

__all__ = ["MultiLabelClassifier", "load_encoder"]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'emoexp.models' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
