"""The dataset card written from the generation config, and the conf/gen options."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from helpers.configs import compose_config
from omegaconf import OmegaConf

from emoexp.generation import GenConfig, dataset_card
from emoexp.generation.config import MultilingualConfig
from emoexp.generation.prompts import load_template

GEN_DIR = Path(__file__).resolve().parents[1] / "conf" / "gen"


def _front_matter(card: str) -> dict:
    _, front, _ = card.split("---\n", 2)
    return yaml.safe_load(front)


def test_card_describes_strategy_stats_and_config() -> None:
    cfg = GenConfig(strategy="persona", samples_per_label=5, seed=4)
    stats = {
        "model": "fake-echo",
        "backend": "fake",
        "structured": False,
        "accepted": 50,
        "rejected": 5,
        "requests": 170,
        "reasks": 3,
        "llm_errors": 2,
        "rejections": {"text:empty_reply": 3, "background:llm_error": 2},
        "labels": {"joy": 25, "fear": 25},
    }
    card = dataset_card(cfg, stats=stats, taxonomy_labels=("fear", "joy"))
    front = _front_matter(card)
    assert front["language"] == ["en"]
    assert "strategy-persona" in front["tags"]
    assert front["size_categories"] == ["n<1K"]
    assert "persona is sampled" in card
    assert "`fake-echo`" in card and "50 accepted, 5 rejected" in card
    assert "| background:llm_error | 2 |" in card
    assert "| joy | 25 |" in card
    config_block = card.split("```yaml\n", 1)[1].split("```", 1)[0]
    assert yaml.safe_load(config_block)["gen"]["persona"]["stages"] == [
        "base",
        "background",
        "situation",
    ]
    assert yaml.safe_load(config_block)["gen"]["seed"] == 4


def test_card_of_multilingual_lists_languages_and_accepts_hydra_nodes() -> None:
    node = OmegaConf.structured(
        GenConfig(strategy="multilingual", multilingual=MultilingualConfig(languages=["sw", "ta"]))
    )
    card = dataset_card(node)
    assert _front_matter(card)["language"] == ["sw", "ta"]
    assert "- languages: sw, ta" in card


@pytest.mark.parametrize("path", sorted(GEN_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_gen_option_is_a_valid_typed_config(path: Path) -> None:
    # composed as the command line would, so options built on another (defaults lists) count
    cfg = OmegaConf.to_object(compose_config([f"gen={path.stem}"]).gen)
    assert isinstance(cfg, GenConfig)
    assert cfg.strategy == path.stem.removesuffix("_natural")
    for name in ("naive", "shap", "multilingual"):
        load_template(getattr(cfg, name).template)
    for ref in (
        cfg.persona.background_template,
        cfg.persona.situation_template,
        cfg.persona.text_template,
        cfg.conversation.template,
        cfg.conversation.dialogue_template,
    ):
        load_template(ref)


def test_all_six_strategies_have_an_option() -> None:
    assert {p.stem for p in GEN_DIR.glob("*.yaml")} >= {
        "none",
        "naive",
        "shap",
        "persona",
        "conversation",
        "multilingual",
    }


def test_mistyped_gen_key_fails_with_its_name() -> None:
    with pytest.raises(Exception, match="max_reask"):
        compose_config(["gen=naive", "gen.max_reask=3"])
    with pytest.raises(Exception, match="samples_per_label"):
        compose_config(["gen=naive", "gen.samples_per_label=many"])
