"""Stable content hashes of configuration slices and upstream artifact keys."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, is_dataclass
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf


def to_plain(value: Any) -> Any:
    """Resolve OmegaConf nodes (and nested ones) into plain JSON-able Python."""
    if isinstance(value, DictConfig | ListConfig):
        return OmegaConf.to_container(value, resolve=True)
    return value


def without(cfg: Any, excluded: tuple[str, ...]) -> dict[str, Any]:
    """A config slice as a plain dict, less the keys that do not change an artifact."""
    plain = asdict(cfg) if is_dataclass(cfg) and not isinstance(cfg, type) else to_plain(cfg)
    return {key: value for key, value in dict(plain).items() if key not in excluded}


def fingerprint(*parts: Any, length: int = 16) -> str:
    """Hash parts canonically: key order and OmegaConf wrapping never change the result."""
    canonical = json.dumps([to_plain(part) for part in parts], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:length]
