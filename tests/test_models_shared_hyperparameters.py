"""The multilingual encoders train with one hyperparameter set, so an encoder sweep varies
the encoder only; each names the languages it was pretrained on."""

from __future__ import annotations

import yaml

from emoexp.models.languages import covered_languages
from emoexp.paths import CONF_DIR

MULTILINGUAL = ("distilbert_multi", "mbert", "xlmr_base", "xlmr_large", "mdeberta", "xlmt")
SHARED = (
    "max_length",
    "batch_size",
    "learning_rate",
    "head_learning_rate",
    "weight_decay",
    "warmup_ratio",
    "dropout",
)


def test_the_multilingual_encoders_share_one_hyperparameter_set() -> None:
    options = [*MULTILINGUAL, "multilingual_e5_small"]
    configs = {
        name: yaml.safe_load((CONF_DIR / "model" / f"{name}.yaml").read_text()) for name in options
    }
    reference = {key: configs["xlmr_large"][key] for key in SHARED}
    for name, config in configs.items():
        assert {key: config.get(key) for key in SHARED} == reference, name
        assert covered_languages(config["languages"], []) >= {"en", "ar", "hi", "sw", "ja"}


def test_language_coverage() -> None:
    assert covered_languages(["en"], ["de"]) == {"en"}
    assert covered_languages([], ["en", "de"]) == {"en", "de"}  # the tiny model
    assert "sw" in covered_languages(["xlmr"], []) and "pa" in covered_languages(["mbert"], [])
