"""Deterministic replies derived from a prompt, shared by the fake backend and the loopback
server so tests can check that every answer belongs to the request it is filed under."""

from __future__ import annotations

import hashlib
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
    """`{"text": ..., "emotions": [...]}` for structured requests, else the plain text.

    The text names the emotions the prompt names and a digest of the prompt: it shows which
    request it answers without copying the prompt (a copied prompt is a rejected reply)."""
    prompt = last_user_message(messages)
    emotions = emotions_named(prompt)
    digest = hashlib.sha256(prompt.encode("utf-8")).hexdigest()[:12]
    text = f"[{seed}] feeling {' and '.join(emotions) or 'something'} today, reply {digest}."
    if structured:
        return json.dumps({"text": text, "emotions": emotions})
    return text
