"""Reading JSON out of a model's reply, which small models wrap in prose or Markdown fences
more often than not."""

from __future__ import annotations

import json
import re
from typing import Any

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)
_DECODER = json.JSONDecoder()


def _first_decoded(text: str, opener: str, kind: type) -> Any:
    """The first value of `kind` that decodes from an `opener` character in `text`."""
    for match in re.finditer(re.escape(opener), text):
        try:
            value, _ = _DECODER.raw_decode(text, match.start())
        except json.JSONDecodeError:
            continue
        if isinstance(value, kind):
            return value
    return None


def extract_json(text: str | None) -> dict[str, Any] | None:
    """The first JSON object in `text`: the whole reply, a fenced block, or the first
    `{...}` that decodes after leading prose. None when there is no object."""
    if not text:
        return None
    stripped = text.strip()
    candidates = [stripped, *(block.strip() for block in _FENCE.findall(stripped))]
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    found: dict[str, Any] | None = _first_decoded(stripped, "{", dict)
    return found


def extract_json_array(text: str | None) -> list[Any] | None:
    """The first JSON array in a reply (whole, fenced, or after a preamble), or None."""
    if not text:
        return None
    stripped = text.strip()
    for candidate in [*(block.strip() for block in _FENCE.findall(stripped)), stripped]:
        found: list[Any] | None = _first_decoded(candidate, "[", list)
        if found is not None:
            return found
    return None
