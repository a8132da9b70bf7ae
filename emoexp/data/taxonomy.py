"""Label sets and explicit mappings between them, read from conf/labels/.

Every mapping is a reviewed YAML file rather than code, so the label decisions behind a
result can be read, diffed and cited; loading validates each file against both taxonomies
so a typo fails with the file and label named instead of silently losing a class.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import yaml

from emoexp.paths import CONF_DIR

LABELS_DIR = CONF_DIR / "labels"
TAXONOMY_DIR = LABELS_DIR / "taxonomies"
MAPPING_DIR = LABELS_DIR / "mappings"

# rule values for rows left without target labels; any other value names a target label
DROP = "drop"
KEEP_EMPTY = "keep_empty"


class MappingError(ValueError):
    """A taxonomy or mapping file that contradicts itself or the label sets it names."""


@dataclass(frozen=True)
class Taxonomy:
    """An ordered label set: `multi_hot` vectors follow the order of `labels`."""

    name: str
    labels: tuple[str, ...]
    description: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        if not self.labels:
            raise MappingError(f"taxonomy {self.name!r} has no labels")
        duplicates = sorted({label for label in self.labels if self.labels.count(label) > 1})
        if duplicates:
            raise MappingError(f"taxonomy {self.name!r} lists labels twice: {duplicates}")

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {label: i for i, label in enumerate(self.labels)}

    def __len__(self) -> int:
        return len(self.labels)

    def __contains__(self, name: object) -> bool:
        return name in self._positions

    def index(self, name: str) -> int:
        try:
            return self._positions[name]
        except KeyError:
            raise KeyError(
                f"label {name!r} is not in taxonomy {self.name!r}: {list(self.labels)}"
            ) from None

    def multi_hot(self, names: Iterable[str]) -> list[float]:
        vector = [0.0] * len(self.labels)
        for name in names:
            vector[self.index(name)] = 1.0
        return vector

    def names_of(self, multi_hot: Iterable[float]) -> list[str]:
        """The labels whose entry is 1 (> 0.5), in taxonomy order."""
        return [label for label, value in zip(self.labels, multi_hot, strict=True) if value > 0.5]


@dataclass(frozen=True)
class LabelMapping:
    """Source labels to target labels, plus what happens to rows left without any.

    `unmapped` applies when a row's labels all map to nothing; `unlabelled` when the row had
    no source labels at all. Each is `drop`, `keep_empty` or a target label name.
    """

    source: str
    target: str
    table: Mapping[str, tuple[str, ...]]
    target_labels: tuple[str, ...]
    unmapped: str = DROP
    unlabelled: str = DROP
    path: str = ""

    @cached_property
    def _order(self) -> dict[str, int]:
        return {label: i for i, label in enumerate(self.target_labels)}

    def map_labels(self, names: Iterable[str]) -> list[str]:
        """The union of the targets of `names`, deduplicated, in target-taxonomy order."""
        targets: set[str] = set()
        for name in names:
            try:
                targets.update(self.table[name])
            except KeyError:
                raise MappingError(
                    f"label {name!r} is not a {self.source} label covered by {self.describe()}"
                ) from None
        return sorted(targets, key=self._order.__getitem__)

    def resolve(self, names: list[str]) -> tuple[list[str] | None, str | None]:
        """Mapped labels with the rules applied, and which rule fired (None: no rule).

        The first element is None when the rule drops the row.
        """
        mapped = self.map_labels(names)
        if mapped:
            return mapped, None
        rule_name = "unmapped" if names else "unlabelled"
        rule = self.unmapped if names else self.unlabelled
        if rule == DROP:
            return None, rule_name
        if rule == KEEP_EMPTY:
            return [], rule_name
        return [rule], rule_name

    def describe(self) -> str:
        return self.path or f"the identity mapping of {self.source}"


def _read_yaml(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        content = yaml.safe_load(handle)
    if not isinstance(content, dict):
        raise MappingError(f"{path}: expected a YAML mapping at the top level")
    return content


def available_taxonomies() -> list[str]:
    return sorted(path.stem for path in TAXONOMY_DIR.glob("*.yaml"))


def available_mappings() -> list[str]:
    return sorted(path.stem for path in MAPPING_DIR.glob("*_to_*.yaml"))


@cache
def load_taxonomy(name: str) -> Taxonomy:
    """Read conf/labels/taxonomies/<name>.yaml."""
    path = TAXONOMY_DIR / f"{name}.yaml"
    if not path.is_file():
        raise MappingError(
            f"no taxonomy {name!r} ({path} missing); available: {available_taxonomies()}"
        )
    content = _read_yaml(path)
    if content.get("name") != name:
        raise MappingError(f"{path}: name is {content.get('name')!r}, expected {name!r}")
    labels = content.get("labels")
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        raise MappingError(f"{path}: 'labels' must be a list of strings")
    return Taxonomy(
        name=name,
        labels=tuple(labels),
        description=str(content.get("description", "")).strip(),
        source=str(content.get("source", "")).strip(),
    )


def identity_mapping(taxonomy: Taxonomy) -> LabelMapping:
    """Every label to itself; a row without labels stays without labels."""
    return LabelMapping(
        source=taxonomy.name,
        target=taxonomy.name,
        table={label: (label,) for label in taxonomy.labels},
        target_labels=taxonomy.labels,
        unmapped=KEEP_EMPTY,
        unlabelled=KEEP_EMPTY,
    )


@cache
def load_mapping(source: str, target: str) -> LabelMapping:
    """Read conf/labels/mappings/<source>_to_<target>.yaml (identity when source == target)."""
    if source == target:
        return identity_mapping(load_taxonomy(source))
    path = MAPPING_DIR / f"{source}_to_{target}.yaml"
    if not path.is_file():
        raise MappingError(
            f"no label mapping from {source!r} to {target!r} ({path} missing); "
            f"available: {available_mappings()}"
        )
    return parse_mapping(path, load_taxonomy(source), load_taxonomy(target))


def parse_mapping(path: Path, source: Taxonomy, target: Taxonomy) -> LabelMapping:
    """Validate a mapping file against both taxonomies; every error names file and label."""
    content = _read_yaml(path)
    for key, expected in (("source", source.name), ("target", target.name)):
        if content.get(key) != expected:
            raise MappingError(f"{path}: {key} is {content.get(key)!r}, expected {expected!r}")
    raw_table = content.get("map")
    if not isinstance(raw_table, dict):
        raise MappingError(f"{path}: 'map' must be a table of source label -> target list")
    table: dict[str, tuple[str, ...]] = {}
    for label, targets in raw_table.items():
        if label not in source:
            raise MappingError(
                f"{path}: source label {label!r} is not in taxonomy {source.name!r} "
                f"{list(source.labels)}"
            )
        if not isinstance(targets, list):
            raise MappingError(f"{path}: targets of {label!r} must be a list (use [] for none)")
        for target_label in targets:
            if target_label not in target:
                raise MappingError(
                    f"{path}: target label {target_label!r} (for {label!r}) is not in "
                    f"taxonomy {target.name!r} {list(target.labels)}"
                )
        table[label] = tuple(targets)
    missing = [label for label in source.labels if label not in table]
    if missing:
        raise MappingError(f"{path}: source labels not listed in 'map': {missing}")
    rules: dict[str, str] = {}
    for key in ("unmapped", "unlabelled"):
        # unlabelled defaults to the unmapped rule
        rule = content.get(key, content.get("unmapped"))
        if not isinstance(rule, str):
            raise MappingError(f"{path}: '{key}' rule missing (drop, keep_empty or a label)")
        rules[key] = rule
        if rule not in (DROP, KEEP_EMPTY) and rule not in target:
            raise MappingError(
                f"{path}: {key} rule {rule!r} is neither drop, keep_empty nor a "
                f"{target.name!r} label {list(target.labels)}"
            )
    for reserved in (DROP, KEEP_EMPTY):
        if reserved in target:
            raise MappingError(f"{path}: target label {reserved!r} clashes with a rule name")
    return LabelMapping(
        source=source.name,
        target=target.name,
        table=table,
        target_labels=target.labels,
        unmapped=rules["unmapped"],
        unlabelled=rules["unlabelled"],
        path=str(path),
    )
