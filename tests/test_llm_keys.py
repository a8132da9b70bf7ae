"""The cache key changes with everything that changes an answer, and with nothing else."""

from __future__ import annotations

from dataclasses import replace

import pytest

from emoexp.llm.config import LLMConfig
from emoexp.llm.keys import request_key, sampling_for
from emoexp.llm.types import ChatRequest

BASE_CFG = LLMConfig(backend="openai", model="m")
BASE_REQUEST = ChatRequest(
    messages=(("system", "You write short texts."), ("user", "Write about joy.")),
    template="naive@v1",
)
BASE_KEY = request_key(BASE_CFG, BASE_REQUEST)


@pytest.mark.parametrize(
    "cfg_change",
    [
        {"temperature": 0.7},
        {"top_p": 0.5},
        {"max_tokens": 61},
        {"seed": 1},
        {"model": "other"},
        {"backend": "local"},
        {"provider": "vllm"},
        {"extra_body": {"top_k": 20}},
        {"dtype": "bfloat16"},
    ],
)
def test_config_changes_that_change_answers_change_the_key(cfg_change: dict) -> None:
    assert request_key(replace(BASE_CFG, **cfg_change), BASE_REQUEST) != BASE_KEY


def test_structured_output_changes_the_key_of_requests_that_ask_for_json_only() -> None:
    asks_json = replace(BASE_REQUEST, metadata={"structured": True})
    structured = replace(BASE_CFG, structured=True)
    assert request_key(structured, asks_json) != request_key(BASE_CFG, asks_json)
    # a plain-text request goes out the same way under either setting
    assert request_key(structured, BASE_REQUEST) == BASE_KEY


@pytest.mark.parametrize(
    "request_change",
    [
        {"template": "naive@v2"},
        {"sample_index": 1},
        {"messages": (("user", "Write about joy."),)},
        {"json_schema": {"type": "object"}},
        {"temperature": 0.2},
        {"max_tokens": 10},
    ],
)
def test_request_changes_change_the_key(request_change: dict) -> None:
    assert request_key(BASE_CFG, replace(BASE_REQUEST, **request_change)) != BASE_KEY


@pytest.mark.parametrize(
    "cfg_change",
    [
        {"base_url": ["http://elsewhere/v1"]},
        {"api_key_env": "OTHER_KEY"},
        {"max_concurrency": 3},
        {"max_retries": 1},
        {"timeout_s": 1.0},
        {"progress": False},
    ],
)
def test_transport_settings_do_not_change_the_key(cfg_change: dict) -> None:
    assert request_key(replace(BASE_CFG, **cfg_change), BASE_REQUEST) == BASE_KEY


def test_metadata_is_not_part_of_the_key() -> None:
    tagged = replace(BASE_REQUEST, metadata={"label": "joy", "row": 7})
    assert request_key(BASE_CFG, tagged) == BASE_KEY


def test_n_samples_get_n_keys_and_n_seeds() -> None:
    samples = [replace(BASE_REQUEST, sample_index=i) for i in range(50)]
    keys = [request_key(BASE_CFG, s) for s in samples]
    seeds = {sampling_for(BASE_CFG, s, k).seed for s, k in zip(samples, keys, strict=True)}
    assert len(set(keys)) == 50 and len(seeds) == 50


def test_request_overrides_reach_the_sampling() -> None:
    request = replace(BASE_REQUEST, temperature=0.0, max_tokens=5)
    sampling = sampling_for(BASE_CFG, request, request_key(BASE_CFG, request))
    assert (sampling.temperature, sampling.max_tokens, sampling.top_p) == (0.0, 5, 0.95)


def test_requests_with_a_schema_stay_hashable() -> None:
    request = replace(BASE_REQUEST, json_schema={"type": "object"})
    assert hash(request) == hash(replace(request, json_schema={"type": "string"}))
