"""Helpers every format module shares: file names per split, hub column access."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import datasets

from emoexp.data.config import DataConfig
from emoexp.data.report import DataError


def configured_file(cfg: DataConfig, split: str) -> str:
    """The file name the config sets for a split ('' when it leaves the default)."""
    return {"train": cfg.train_file, "validation": cfg.validation_file, "test": cfg.test_file}[
        split
    ]


def split_path(root: Path, cfg: DataConfig, split: str, default: str) -> Path:
    """The configured file of a split (absolute, or relative to root), else the default."""
    name = configured_file(cfg, split) or default
    path = Path(name).expanduser()
    return path if path.is_absolute() else root / path


def require_file(path: Path, what: str) -> Path:
    if not path.is_file():
        raise DataError(f"{what} not found: {path}")
    return path


def hub_location(cfg: DataConfig, split: str) -> str:
    """How a hub row is named in reports: hub:<id>[/<config>]/<split> plus its row number."""
    config = f"/{cfg.hub_config}" if cfg.hub_config else ""
    return f"hub:{cfg.hub_id}{config}/{split}"


def require_columns(ds: datasets.Dataset, columns: list[str], where: str) -> None:
    missing = [column for column in columns if column not in ds.column_names]
    if missing:
        raise DataError(f"hub dataset lacks column(s) {missing}; it has {ds.column_names}", where)


def class_names(ds: datasets.Dataset, column: str) -> list[str] | None:
    """Names behind a ClassLabel column (or a sequence of ClassLabel), None otherwise."""
    feature: Any = ds.features[column]
    feature = getattr(feature, "feature", feature)
    if isinstance(feature, list) and feature:
        feature = feature[0]
    return list(feature.names) if isinstance(feature, datasets.ClassLabel) else None
