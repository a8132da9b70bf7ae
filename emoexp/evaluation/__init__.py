"""Scoring a trained classifier in-domain and zero-shot on human-annotated sets.

Imported lazily, so the config schema (which needs only EvalConfig) stays cheap to import.
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "evaluate": "emoexp.evaluation.scoring",
    "EvalSet": "emoexp.evaluation.scoring",
    "SkippedSet": "emoexp.evaluation.scoring",
    "load_zero_shot_sets": "emoexp.evaluation.zero_shot",
    "evaluate_zero_shot": "emoexp.evaluation.zero_shot",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'emoexp.evaluation' has no attribute {name!r}")
