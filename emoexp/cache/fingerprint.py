"""Stable content hashes of configuration slices and upstream artifact keys."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, is_dataclass
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf


def to_plain(value: Any) -> Any:
    """A config dataclass (or OmegaConf node, as tests and benchmarks may still hold) as
    plain JSON-able Python."""
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, DictConfig | ListConfig):
        return OmegaConf.to_container(value, resolve=True)
    return value


def without(cfg: Any, excluded: tuple[str, ...]) -> dict[str, Any]:
    """A config dataclass as a plain dict, less the keys that do not change an artifact."""
    return {key: value for key, value in asdict(cfg).items() if key not in excluded}


def fingerprint(*parts: Any, length: int = 16) -> str:
    """Hash parts canonically: key order and OmegaConf wrapping never change the result."""
    canonical = json.dumps([to_plain(part) for part in parts], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:length]
