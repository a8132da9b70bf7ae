"""The generation strategies by name: each takes the shared context and returns
(accepted rows, rejected rows)."""

from __future__ import annotations

from collections.abc import Callable

from emoexp.data.schema import Row
from emoexp.generation.context import GenerationContext
from emoexp.generation.strategies.conversation import run_conversation
from emoexp.generation.strategies.multilingual import run_multilingual
from emoexp.generation.strategies.naive import run_naive
from emoexp.generation.strategies.persona import run_persona
from emoexp.generation.strategies.shap import run_shap

Strategy = Callable[[GenerationContext], tuple[list[Row], list[Row]]]

STRATEGIES: dict[str, Strategy] = {
    "naive": run_naive,
    "shap": run_shap,
    "persona": run_persona,
    "conversation": run_conversation,
    "multilingual": run_multilingual,
}
