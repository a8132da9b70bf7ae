"""Reading a JSON object out of a model's reply, which small models wrap in prose or
Markdown fences more often than not."""

from __future__ import annotations

from emoexp.text.json_extract import extract_json

__all__ = ["extract_json"]
