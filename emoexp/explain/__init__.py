"""Which words drive each emotion class: SHAP keywords for guided generation.

Names are imported lazily: the label-consistency filter needs only the surrogate, and
importing shap (about a second) is wasted on runs that never explain anything.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emoexp.explain.class_keywords import explain_keywords, fit_seed_surrogate
    from emoexp.explain.keywords import Keywords, load_keywords, save_keywords
    from emoexp.explain.surrogate import Surrogate, fit_surrogate

_EXPORTS = {
    "Keywords": "emoexp.explain.keywords",
    "load_keywords": "emoexp.explain.keywords",
    "save_keywords": "emoexp.explain.keywords",
    "explain_keywords": "emoexp.explain.class_keywords",
    "fit_seed_surrogate": "emoexp.explain.class_keywords",
    "Surrogate": "emoexp.explain.surrogate",
    "fit_surrogate": "emoexp.explain.surrogate",
}

__all__ = [
    "Keywords",
    "Surrogate",
    "explain_keywords",
    "fit_seed_surrogate",
    "fit_surrogate",
    "load_keywords",
    "save_keywords",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'emoexp.explain' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
