"""Reading a JSON object out of a model's reply, which small models wrap in prose or
Markdown fences more often than not."""

from __future__ import annotations

import json
import re
from typing import Any

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)
_DECODER = json.JSONDecoder()


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
    for match in re.finditer(r"\{", stripped):
        try:
            value, _ = _DECODER.raw_decode(stripped, match.start())
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    return None
