"""Every option of every config group composes against the typed schema, and mistakes fail
at compose time with a message that names the key or lists the valid choices."""

from __future__ import annotations

import dataclasses

import pytest
import yaml
from helpers.configs import compose_config
from hydra.errors import ConfigCompositionException, MissingConfigException
from omegaconf import OmegaConf

from emoexp.config.schema import Config, register_configs
from emoexp.paths import CONF_DIR

register_configs()

# conf/ folders that are not option groups of config.yaml: Hydra's own settings, and the
# taxonomy and mapping files the seed stage reads
NOT_GROUPS = {"hydra", "labels"}


def default_groups() -> dict[str, str | None]:
    """Each group of config.yaml's defaults list, with its default option (None: unset)."""
    defaults = yaml.safe_load((CONF_DIR / "config.yaml").read_text())["defaults"]
    return {
        group: option
        for entry in defaults
        if isinstance(entry, dict)
        for group, option in entry.items()
    }


# the groups that fill a key of their own (those unset by default are `_global_` presets)
GROUPS = sorted(group for group, option in default_groups().items() if option is not None)


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml"))


def compose_with(overrides: list[str]):
    return compose_config(overrides)


@pytest.mark.parametrize(
    "override", [f"{group}={option}" for group in GROUPS for option in options(group)]
)
def test_every_group_option_composes(override: str) -> None:
    cfg = compose_with([override])
    OmegaConf.to_container(cfg.data, resolve=True)
    assert cfg.model.name


@pytest.mark.parametrize("option", options("experiment") + options("debug"))
def test_every_experiment_and_debug_preset_composes(option: str) -> None:
    group = "experiment" if (CONF_DIR / "experiment" / f"{option}.yaml").exists() else "debug"
    compose_with([f"{group}={option}"])


def test_mistyped_key_names_the_key() -> None:
    with pytest.raises(ConfigCompositionException) as error:
        compose_with(["trainer.max_epocs=1"])
    assert "max_epocs" in str(error.value.__cause__ or error.value)


def test_wrong_type_names_the_key() -> None:
    with pytest.raises(ConfigCompositionException) as error:
        compose_with(["trainer.max_epochs=many"])
    assert "max_epochs" in str(error.value.__cause__ or error.value)


def test_misspelled_group_option_lists_the_choices() -> None:
    with pytest.raises(MissingConfigException) as error:
        compose_with(["model=xlmr_lage"])
    message = str(error.value)
    assert "xlmr_lage" in message and "xlmr_large" in message


def test_default_points_at_goemotions_and_minilm() -> None:
    cfg = compose_with([])
    assert (cfg.data.name, cfg.model.name, cfg.taxonomy) == ("goemotions", "minilm", "emo11")
    assert cfg.model.pooling == "mean"


def test_every_conf_folder_is_a_group_with_a_typed_key() -> None:
    folders = {path.name for path in CONF_DIR.iterdir() if path.is_dir()} - NOT_GROUPS
    assert folders == set(default_groups()), "a conf/ folder is not in config.yaml's defaults"
    cfg = compose_with([])
    schema_keys = {field.name for field in dataclasses.fields(Config)}
    for group in GROUPS:
        assert group in cfg and group in schema_keys, group
    for group in set(default_groups()) - set(GROUPS):
        for option in options(group):
            text = (CONF_DIR / group / f"{option}.yaml").read_text()
            assert text.startswith("# @package _global_"), f"{group}/{option}"


@pytest.mark.parametrize("arm", options("arm"))
def test_every_arm_sets_a_known_regime_and_a_matching_strategy(arm: str) -> None:
    from emoexp.pipeline import REGIMES

    cfg = compose_with([f"arm={arm}"])
    assert cfg.regime in REGIMES
    assert (cfg.gen.strategy == "none") == (cfg.regime == "real")
    assert cfg.gen.strategy in arm or arm == "real"
