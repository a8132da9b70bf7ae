"""The fake backend and the factory: deterministic answers through the same cache."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from helpers.configs import compose_config

from emoexp.llm.cache import ResponseCache
from emoexp.llm.config import LLMConfig
from emoexp.llm.engine import OpenAICompatibleBackend
from emoexp.llm.factory import build_backend
from emoexp.llm.fake import FakeBackend
from emoexp.llm.local import LocalBackend
from emoexp.llm.types import ChatRequest

REQUESTS = [ChatRequest(messages=(("user", f"write {e}"),)) for e in ("joy", "fear", "anger")]


def test_fake_echoes_and_counts_real_calls_only(tmp_path: Path) -> None:
    with ResponseCache(tmp_path / "c.sqlite") as cache:
        backend = FakeBackend(cache=cache)
        first = backend.generate(REQUESTS)
        second = backend.generate(REQUESTS)
    assert backend.calls == 3
    assert [r.text for r in first] == [r.text for r in second]
    assert all(r.cached for r in second) and not any(r.cached for r in first)
    assert "feeling joy" in (first[0].text or "")


def test_fake_canned_replies_and_refusals() -> None:
    canned = FakeBackend(replies=["a", "b"])
    assert [r.text for r in canned.generate(REQUESTS)] == ["a", "b", "a"]

    def picky(request: ChatRequest, seed: int) -> str:
        if "fear" in request.messages[-1][1]:
            raise ValueError("no fear today")
        return "fine"

    results = FakeBackend(reply=picky).generate(REQUESTS)
    assert [r.ok for r in results] == [True, False, True]
    assert "no fear today" in (results[1].error or "")


def test_fake_structured_replies_are_json() -> None:
    cfg = LLMConfig(backend="fake", model="fake-echo", structured=True, progress=False)
    asks_json = replace(REQUESTS[0], metadata={"structured": True})
    [result, plain] = FakeBackend(cfg).generate([asks_json, REQUESTS[0]])
    assert '"emotions": ["joy"]' in (result.text or "")
    # a request for plain text stays plain under a structured config
    assert "emotions" not in (plain.text or "")


def compose_llm(option: str, *overrides: str):
    return compose_config([f"llm={option}", *overrides]).llm


@pytest.mark.parametrize(
    ("option", "kind", "url"),
    [
        ("local", LocalBackend, None),
        ("fake", FakeBackend, None),
        ("vllm", OpenAICompatibleBackend, "http://localhost:8000/v1"),
        ("ollama", OpenAICompatibleBackend, "http://localhost:11434/v1"),
    ],
)
def test_every_preset_builds_its_backend(option: str, kind: type, url: str | None, tmp_path: Path):
    backend = build_backend(compose_llm(option), tmp_path / "c.sqlite")
    assert isinstance(backend, kind)
    if url is not None:
        assert backend.base_urls == [url]  # type: ignore[attr-defined]


def test_openai_preset_needs_its_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(RuntimeError, match="OPENAI_API_KEY"):
        build_backend(compose_llm("openai"), tmp_path / "c.sqlite")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    backend = build_backend(compose_llm("openai"), tmp_path / "c.sqlite")
    assert backend.base_urls == ["https://api.openai.com/v1"]  # type: ignore[attr-defined]


def test_compatible_preset_takes_url_and_model_from_the_command_line(tmp_path: Path) -> None:
    cfg = compose_llm("compatible", "llm.base_url=[http://h:1/v1]", "llm.model=x")
    backend = build_backend(cfg, tmp_path / "c.sqlite")
    assert backend.base_urls == ["http://h:1/v1"] and backend.model == "x"  # type: ignore[attr-defined]


def test_unknown_backend_and_keys_are_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"llm\.backend"):
        build_backend(LLMConfig(backend="gpt"), tmp_path / "c.sqlite")
    with pytest.raises(ValueError, match="packaged local model"):
        build_backend(LLMConfig(backend="openai", base_url=["http://h/v1"]), tmp_path / "c.sqlite")
    # a mistyped key fails where the config is composed, naming it
    with pytest.raises(Exception, match="temprature"):
        compose_config(["llm=fake", "llm.temprature=0.1"])
