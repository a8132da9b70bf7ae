"""No secret reaches a config dump, whatever the user typed."""

from __future__ import annotations

import pytest

from emoexp.tracking.redact import REDACTED, redact


def test_secret_keys_are_redacted_but_variable_names_are_kept() -> None:
    config = {"llm": {"api_key": "sk-abc", "api_key_env": "OPENAI_API_KEY", "model": "m"}}
    out = redact(config, set())
    assert out["llm"]["api_key"] == REDACTED
    assert out["llm"]["api_key_env"] == "OPENAI_API_KEY"
    assert out["llm"]["model"] == "m"


def test_values_of_secret_environment_variables_are_redacted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-live-1234567890")
    out = redact({"note": "key sk-live-1234567890 pasted", "urls": ["a", "sk-live-1234567890"]})
    assert "sk-live" not in str(out)
