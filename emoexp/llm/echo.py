"""Deterministic replies derived from a prompt, shared by the fake backend and the loopback
server so tests can check that every answer belongs to the request it is filed under."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

# emotion names recognised in a prompt; the reply lists those the last user message names
EMOTION_WORDS = (
    "admiration",
    "amusement",
    "anger",
    "annoyance",
    "approval",
    "caring",
    "confusion",
    "contempt",
    "curiosity",
    "desire",
    "disappointment",
    "disapproval",
    "disgust",
    "embarrassment",
    "excitement",
    "fear",
    "gratitude",
    "grief",
    "joy",
    "love",
    "nervousness",
    "neutral",
    "optimism",
    "pride",
    "realization",
    "relief",
    "remorse",
    "sadness",
    "surprise",
    "trust",
)
_WORD = re.compile(r"[a-z]+")


def last_user_message(messages: Sequence[Sequence[str]]) -> str:
    for role, content in reversed([tuple(message) for message in messages]):
        if role == "user":
            return content
    return ""


def emotions_named(text: str) -> list[str]:
    words = set(_WORD.findall(text.lower()))
    return [emotion for emotion in EMOTION_WORDS if emotion in words]


def echo_reply(messages: Sequence[Sequence[str]], seed: int | None, structured: bool) -> str:
    """`{"text": ..., "emotions": [...]}` for structured requests, else the plain text."""
    prompt = last_user_message(messages)
    text = f"[{seed}] {prompt[:200]}"
    if structured:
        return json.dumps({"text": text, "emotions": emotions_named(prompt)})
    return text
