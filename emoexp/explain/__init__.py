"""Which words drive each emotion class: SHAP keywords for guided generation."""

from emoexp.explain.keywords import Keywords, load_keywords, save_keywords
from emoexp.explain.stage import explain_keywords, fit_seed_surrogate
from emoexp.explain.surrogate import Surrogate, fit_surrogate

__all__ = [
    "Keywords",
    "Surrogate",
    "explain_keywords",
    "fit_seed_surrogate",
    "fit_surrogate",
    "load_keywords",
    "save_keywords",
]
