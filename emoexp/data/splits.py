"""One vocabulary of split names, whatever a release or hub mirror calls them."""

from __future__ import annotations

SPLITS = ("train", "validation", "test")

_ALIASES = {
    "train": "train",
    "trn": "train",
    "training": "train",
    "validation": "validation",
    "valid": "validation",
    "val": "validation",
    "dev": "validation",
    "development": "validation",
    "test": "test",
    "tst": "test",
    "testing": "test",
}


def normalise_split(name: str) -> str | None:
    """train/validation/test for a known alias, None for anything else."""
    return _ALIASES.get(name.strip().lower())
