"""Generation strategies: how prompts are built and replies become rows."""

from emoexp.generation.card import dataset_card, push_to_hub
from emoexp.generation.config import GenConfig
from emoexp.generation.run import GenerationOutput, as_gen_config, generate

__all__ = [
    "GenConfig",
    "GenerationOutput",
    "as_gen_config",
    "dataset_card",
    "generate",
    "push_to_hub",
]
