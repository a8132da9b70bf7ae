"""The dry run: request, token, cost and time counts for known requests, cache hits left out,
placeholders that multi-stage strategies accept, no network and an untouched cache."""

from __future__ import annotations

import hashlib
import json
import math
import socket
from pathlib import Path

import pytest
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

from emoexp.data.schema import Row, rows_to_dataset
from emoexp.data.taxonomy import load_taxonomy
from emoexp.generation import GenConfig, generate
from emoexp.generation.config import ConversationConfig
from emoexp.generation.replies import read_dialogue_lines, read_json_dialogue, read_json_sample
from emoexp.llm.cache import ResponseCache
from emoexp.llm.config import LLMConfig
from emoexp.llm.estimating_backend import (
    FINISH_REASON,
    PLACEHOLDER_MARK,
    DryRunBackend,
    format_summary,
    placeholder_reply,
)
from emoexp.llm.keys import request_key
from emoexp.llm.types import ChatRequest

TAXONOMY = load_taxonomy("emo11")


def remote_config(**overrides: object) -> LLMConfig:
    values: dict[str, object] = {
        "backend": "openai",
        "provider": "openai",
        "model": "gpt-4o-mini",
        # a port nothing listens on: any connection attempt would fail loudly
        "base_url": ["http://127.0.0.1:9/v1"],
        "max_tokens": 60,
        "max_concurrency": 2,
        "price_input_per_1m": 2.0,
        "price_output_per_1m": 8.0,
        "dry_run_latency_s": 2.0,
        "progress": False,
    }
    values.update(overrides)
    return LLMConfig(**values)  # type: ignore[arg-type]


def request(text: str, template: str = "naive.v1", **extra: object) -> ChatRequest:
    return ChatRequest(messages=(("user", text),), template=template, **extra)  # type: ignore[arg-type]


# 40 characters: 10 tokens by the estimate, plus 3 for the message and 3 for the reply
FORTY = "a" * 40
KNOWN = [
    request(FORTY + " one"),  # 44 chars -> 11 + 6 = 17
    request(FORTY),  # 16
    request(FORTY),  # the same request again: a repeat, not a second send
    request(FORTY, sample_index=1),  # another sample: its own key, 16
    request(FORTY, template="persona_text.v1", max_tokens=20),  # 16, 20 output tokens
]


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"the dry run opened a connection: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_counts_tokens_cost_and_time_of_known_requests(tmp_path: Path, no_network: None) -> None:
    backend = DryRunBackend(remote_config(), tmp_path / "absent" / "responses.sqlite")
    results = backend.generate(KNOWN)
    summary = backend.summary()

    assert summary["requests"] == {"total": 5, "cache_hits": 0, "repeats": 1, "to_send": 4}
    assert summary["tokens"]["prompt"] == 17 + 16 + 16 + 16
    assert summary["tokens"]["output"] == 60 + 60 + 60 + 20
    assert "4 characters per token" in summary["tokens"]["prompt_counting"]
    cost = summary["cost_usd"]
    assert cost["input"] == pytest.approx(65 * 2.0 / 1e6)
    assert cost["output"] == pytest.approx(200 * 8.0 / 1e6)
    assert cost["total"] == pytest.approx(cost["input"] + cost["output"])
    # 4 requests, 2 in flight, 2 s each: two rounds
    assert summary["time"]["online_s"] == pytest.approx(4.0)
    assert summary["by_template"]["naive.v1"] == {
        "total": 4,
        "cache_hits": 0,
        "repeats": 1,
        "to_send": 3,
        "prompt_tokens": 49,
        "output_tokens": 180,
        "cost_usd": pytest.approx((49 * 2.0 + 180 * 8.0) / 1e6),
    }
    assert summary["by_template"]["persona_text.v1"]["output_tokens"] == 20

    assert all(r.ok and (r.text or "").startswith(PLACEHOLDER_MARK) for r in results)
    assert all(r.finish_reason == FINISH_REASON and not r.cached for r in results)
    assert [r.key for r in results] == [request_key(remote_config(), r) for r in KNOWN]
    assert results[1].text == results[2].text
    assert backend.name.startswith("dry_run:")
    assert not (tmp_path / "absent").exists()

    printed = format_summary(summary)
    assert "4 to send" in printed and "persona_text.v1" in printed
    assert json.loads(json.dumps(summary)) == summary


def test_configured_output_length_and_rate_limits(tmp_path: Path) -> None:
    cfg = remote_config(dry_run_output_tokens=25, requests_per_minute=60.0, max_concurrency=64)
    backend = DryRunBackend(cfg, tmp_path / "responses.sqlite")
    backend.generate(KNOWN)
    summary = backend.summary()
    assert summary["tokens"]["output"] == 4 * 25
    # 64 in flight would take one 2 s round; 60 requests a minute allow 4 in 4 s
    assert summary["time"]["bounds_s"]["latency_s"] == pytest.approx(2.0)
    assert summary["time"]["online_s"] == pytest.approx(4.0)


def test_cache_hits_cost_nothing_and_the_cache_is_not_touched(
    tmp_path: Path, no_network: None
) -> None:
    cfg = remote_config()
    cache_path = tmp_path / "responses.sqlite"
    with ResponseCache(cache_path) as cache:
        for stored in KNOWN[:2]:
            cache.put(
                request_key(cfg, stored),
                backend="openai",
                model=cfg.model,
                request_json="{}",
                text=f"real answer: {stored.messages[0][1][-3:]}",
                prompt_tokens=7,
                completion_tokens=9,
            )
    before = hashlib.sha256(cache_path.read_bytes()).hexdigest()

    backend = DryRunBackend(cfg, cache_path)
    results = backend.generate(KNOWN)
    backend.close()
    summary = backend.summary()

    assert summary["requests"] == {"total": 5, "cache_hits": 3, "repeats": 0, "to_send": 2}
    assert summary["tokens"]["prompt"] == 16 + 16
    assert summary["tokens"]["output"] == 60 + 20
    assert [r.cached for r in results] == [True, True, True, False, False]
    assert results[0].text == "real answer: one" and results[0].completion_tokens == 9
    assert hashlib.sha256(cache_path.read_bytes()).hexdigest() == before
    with ResponseCache(cache_path) as cache:
        assert len(cache) == 2 and cache.failures() == []


def test_batch_backend_counts_against_the_online_keys(tmp_path: Path) -> None:
    online = remote_config()
    with ResponseCache(tmp_path / "responses.sqlite") as cache:
        cache.put(request_key(online, KNOWN[0]), backend="openai", model=online.model,
                  request_json="{}", text="answered online")  # fmt: skip
    batch = remote_config(backend="openai_batch", price_input_per_1m=1.0)
    backend = DryRunBackend(batch, tmp_path / "responses.sqlite")
    backend.generate(KNOWN[:2])
    summary = backend.summary()
    assert summary["requests"]["cache_hits"] == 1
    assert "24 h" in summary["time"]["note"] and summary["time"]["batches"] == 1


def test_prompt_tokens_come_from_a_local_tokenizer(tmp_path: Path) -> None:
    vocabulary = {"[UNK]": 0, "write": 1, "a": 2, "post": 3, "about": 4, "joy": 5}
    core = Tokenizer(models.WordLevel(vocab=vocabulary, unk_token="[UNK]"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    PreTrainedTokenizerFast(tokenizer_object=core, unk_token="[UNK]").save_pretrained(
        tmp_path / "tok"
    )
    cfg = remote_config(backend="local", model=str(tmp_path / "tok"))
    backend = DryRunBackend(cfg, tmp_path / "responses.sqlite")
    backend.generate([request("write a post about joy, please")])
    summary = backend.summary()
    assert summary["tokens"]["prompt_counting"].startswith("tokenizer of")
    # write a post about joy , please: 7 words and marks (unknown ones included)
    assert summary["tokens"]["prompt"] == 7


def test_placeholders_have_the_shape_each_reader_asks_for() -> None:
    labels = TAXONOMY.labels
    asked = "Write a post by someone who feels joy and relief.\nchoose from: " + ", ".join(labels)
    schema = {
        "type": "object",
        "properties": {"emotions": {"type": "array", "items": {"enum": list(labels)}}},
    }
    sample = placeholder_reply(request(asked, json_schema=schema), "0" * 64, structured=True)
    parsed = read_json_sample(sample, labels=labels)
    assert parsed.ok and parsed.value is not None
    assert set(parsed.value.labels) == {"joy", "relief"} & set(labels)
    assert parsed.value.text.startswith(PLACEHOLDER_MARK)

    plan = "Two friends talk.\n1. Ana (joy)\n2. Ben (anger)\n3. Ana (sadness)"
    lines = placeholder_reply(request(plan), "1" * 64, structured=False)
    parsed_lines = read_dialogue_lines(lines, speakers=["Ana", "Ben"])
    assert parsed_lines.ok and [s for s, _ in parsed_lines.value or []] == ["Ana", "Ben", "Ana"]
    dialogue = placeholder_reply(request(plan), "2" * 64, structured=True)
    parsed_dialogue = read_json_dialogue(dialogue, labels=labels)
    assert parsed_dialogue.ok
    assert [t.labels[0] for t in parsed_dialogue.value or []] == ["joy", "anger", "sadness"]


def seed_rows() -> list[Row]:
    return [
        Row(
            id=f"seed-{label}-{copy}",
            text=f"A real {label} text number {copy}.",
            labels=[label],
            multi_hot=TAXONOMY.multi_hot([label]),
            taxonomy=TAXONOMY.name,
            source="goemotions",
        )
        for label in TAXONOMY.labels
        for copy in range(2)
    ]


@pytest.mark.parametrize(
    ("strategy", "structured", "templates"),
    [
        ("persona", False, {"persona_background.v1", "persona_situation.v1", "persona_text.v2"}),
        ("conversation", True, {"conversation_dialogue.v2"}),
        ("conversation", False, {"conversation_turn.v1"}),
    ],
)
def test_strategies_run_to_their_last_stage_on_placeholders(
    tmp_path: Path, no_network: None, strategy: str, structured: bool, templates: set[str]
) -> None:
    cfg = GenConfig(
        strategy=strategy,
        samples_per_label=1,
        conversation=ConversationConfig(turns_min=2, turns_max=3),
    )
    backend = DryRunBackend(remote_config(structured=structured), tmp_path / "responses.sqlite")
    output = generate(
        cfg,
        backend,
        TAXONOMY,  # type: ignore[arg-type]
        rows_to_dataset(seed_rows()),
        None,
        tmp_path / "out",
        structured=structured,
    )
    summary = backend.summary()
    stats = output.stats
    assert stats["reasks"] == 0 and len(output.rejected) == 0, stats
    assert len(output.accepted) >= len(TAXONOMY.labels)
    assert set(summary["by_template"]) == templates
    assert summary["requests"]["to_send"] == summary["requests"]["total"] == stats["requests"]
    assert all(text.startswith(PLACEHOLDER_MARK) for text in output.accepted["text"])
    assert not (tmp_path / "responses.sqlite").exists()
    per_stage = sum(row["total"] for row in summary["by_template"].values())
    assert per_stage == summary["requests"]["total"]
    assert math.isfinite(summary["cost_usd"]["total"])
