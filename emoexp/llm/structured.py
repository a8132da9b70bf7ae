"""How a request's JSON schema reaches a server: the one place that turns it into each
server's form of structured output.

Servers disagree: OpenAI, vLLM and Ollama take `{type: json_schema, json_schema: {...}}`;
llama.cpp's server takes `{type: json_object, schema: {...}}` and answers `json_schema` with
HTTP 500; some servers know only `{type: json_object}` (valid JSON, no schema); others
nothing at all. The form is part of the cache key (through `response_format`), so answers
decoded under different constraints never mix.
"""

from __future__ import annotations

from typing import Any

from emoexp.llm.config import LLMConfig
from emoexp.llm.types import ChatRequest

FORMS = ("json_schema", "json_object_schema", "json_object", "none")

# the preset (conf/llm/<name>.yaml) that fits each kind of server
PRESETS = {
    "vllm": "llm=vllm",
    "llama_cpp": "llm=llama_cpp",
    "ollama": "llm=ollama",
    "openai": "llm=openai",
    "compatible": "llm=compatible",
}


def structured_form(cfg: LLMConfig) -> str:
    """The configured form; empty falls back to the older `json_schema_supported` switch."""
    form = cfg.structured_output or ("json_schema" if cfg.json_schema_supported else "json_object")
    if form not in FORMS:
        raise ValueError(f"llm.structured_output must be one of {FORMS}, got {form!r}")
    return form


def response_format_for(cfg: LLMConfig, request: ChatRequest) -> dict[str, Any] | None:
    """The `response_format` field of a request body, or None (plain text, or a server
    without structured output: the prompt alone asks for JSON)."""
    if not cfg.structured:
        return None
    if request.json_schema is None and not request.metadata.get("structured"):
        # a request for plain text (a persona stage, a judge's score): forced JSON would
        # wrap the very text it asks for in an object
        return None
    form = structured_form(cfg)
    if form == "none":
        return None
    schema = request.json_schema
    if schema is None or form == "json_object":
        return {"type": "json_object"}
    if form == "json_object_schema":
        return {"type": "json_object", "schema": schema}
    named = {"name": "reply", "schema": schema, "strict": True}
    return {"type": "json_schema", "json_schema": named}


# words in a server's error message that say the request's format, not the moment, is wrong
_FORMAT_WORDS = (
    "response_format",
    "json_schema",
    "json_object",
    "schema",
    "grammar",
    "guided",
    "structured output",
    "generator does not use offset",
    "seed",
    "max_completion_tokens",
    "max_tokens",
    "unrecognized request argument",
    "extra inputs are not permitted",
    "extra_forbidden",
)


def names_request_format(message: str) -> bool:
    """Whether a server's error message blames a field of the request (a structured-output
    form, a seed, a parameter name) rather than load or a passing fault."""
    lowered = message.lower()
    return any(word in lowered for word in _FORMAT_WORDS)


def format_advice(cfg: LLMConfig, message: str) -> str:
    """What to change when a server refused the request's format."""
    lowered = message.lower()
    hints: list[str] = []
    if "seed" in lowered or "generator does not use offset" in lowered:
        hints.append("llm.send_seed=false")
    if any(word in lowered for word in ("response_format", "json_schema", "schema", "grammar")):
        form = structured_form(cfg) if cfg.structured else "none"
        others = [other for other in FORMS if other != form]
        hints.append(f"llm.structured_output= one of {others} (now {form})")
    if "max_tokens" in lowered or "max_completion_tokens" in lowered:
        hints.append("llm.max_tokens_field=max_completion_tokens (or max_tokens)")
    presets = ", ".join(f"{kind}: {preset}" for kind, preset in PRESETS.items())
    change = "; ".join(hints) if hints else "a preset that fits the server"
    return f"try {change}; presets by server kind: {presets}"
