"""The LLM settings in parts: the generation key follows what the model is asked (the request
part) and nothing about how requests travel, without a hand-kept list of exclusions."""

from __future__ import annotations

from dataclasses import fields

import pytest
from helpers.configs import compose_config
from omegaconf import OmegaConf

from emoexp.generation.config import GenConfig
from emoexp.llm.config import PARTS, LLMConfig, LLMRequest, LLMTransport
from emoexp.stages.generate import generation_key


def typed(overrides: list[str]) -> tuple[GenConfig, LLMConfig]:
    composed = compose_config(["gen=naive", "llm=vllm", *overrides])
    return OmegaConf.to_object(composed.gen), OmegaConf.to_object(composed.llm)  # type: ignore[return-value]


def key(cfgs: tuple[GenConfig, LLMConfig]) -> str:
    return generation_key(*cfgs, "seed-key", "", "goemotions", "en")


def test_every_setting_is_in_exactly_one_part_and_the_keys_stay_flat() -> None:
    owned = [f.name for part in PARTS for f in fields(part)]
    assert len(owned) == len(set(owned))
    assert {f.name for f in fields(LLMConfig)} == set(owned)
    # the user-facing keys are the parts' keys side by side: llm.temperature, llm.timeout_s
    _, llm = typed(["llm.temperature=0.3", "llm.timeout_s=5"])
    assert isinstance(llm, LLMConfig)
    assert llm.request == LLMRequest(**{f.name: getattr(llm, f.name) for f in fields(LLMRequest)})
    assert llm.request.temperature == 0.3 and llm.timeout_s == 5


@pytest.mark.parametrize(
    "override",
    [
        "llm.timeout_s=7",
        "llm.max_concurrency=3",
        "llm.base_url=[http://elsewhere:9000/v1]",
        "llm.max_retries=2",
        "llm.progress=false",
        "llm.batch_poll_s=5",
        "llm.price_input_per_1m=2.5",
    ],
)
def test_a_transport_setting_keeps_the_generation_key(override: str) -> None:
    name = override.split("=")[0].removeprefix("llm.")
    assert name not in LLMRequest.__dataclass_fields__
    assert key(typed([override])) == key(typed([]))


@pytest.mark.parametrize(
    "override",
    ["llm.temperature=0.2", "llm.model=other-model", "llm.max_tokens=90", "llm.top_p=0.5"],
)
def test_a_request_setting_changes_the_generation_key(override: str) -> None:
    assert key(typed([override])) != key(typed([]))


def test_transport_holds_no_setting_that_reaches_the_model() -> None:
    reaching = {"model", "temperature", "top_p", "max_tokens", "seed", "extra_body"}
    assert not reaching & set(LLMTransport.__dataclass_fields__)
