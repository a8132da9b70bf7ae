"""Cultural settings for the multilingual strategy: one draw per request from pools of
everyday situations, topics, registers and first names, so a language's prompts differ in
more than the emotion phrase; and emotion names in the target language where the pool file
has them. The file is data, so a researcher extends a language without touching code."""

from __future__ import annotations

import random
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

BUILTIN_POOLS = Path(__file__).with_name("cultural_pools.yaml")
SETTING_KEYS = ("situation", "topic", "register", "persona_name")


@lru_cache(maxsize=4)
def load_pools(path: str = str(BUILTIN_POOLS)) -> dict[str, Any]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    for key in ("situations", "registers"):
        if not data.get(key):
            raise ValueError(f"{path}: '{key}' must be a non-empty list")
    data.setdefault("languages", {})
    return data


def sample_setting(code: str, rng: random.Random, path: str | None = None) -> dict[str, str]:
    """One situation, topic, register and name for a request in language `code`; a
    language without a topic or name pool gets an everyday topic and no name."""
    pools = load_pools(path or str(BUILTIN_POOLS))
    own = pools["languages"].get(code, {})
    topics = own.get("topics") or ["everyday life"]
    names = own.get("names") or ["someone"]
    return {
        "situation": rng.choice(pools["situations"]),
        "topic": rng.choice(topics),
        "register": rng.choice(pools["registers"]),
        "persona_name": rng.choice(names),
    }


def native_emotions(code: str, labels: Sequence[str], path: str | None = None) -> str:
    """The labels' names in the target language ("Wut and Angst"), or "" when the pool file
    lacks one of them."""
    table = load_pools(path or str(BUILTIN_POOLS))["languages"].get(code, {}).get("emotions", {})
    names = [table.get(label) for label in labels]
    if not names or any(name is None for name in names):
        return ""
    return ", ".join(str(name) for name in names)
