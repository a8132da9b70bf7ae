"""The explain stage's artifact: ranked keywords per class, saved as keywords.json."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KEYWORDS_FILE = "keywords.json"
FORMAT_VERSION = 1


@dataclass
class Keywords:
    """Per class an ordered list of (word, score), strongest first.

    `empty_classes` names the classes that got no keywords (no seed example, or no word
    with a positive contribution) so a generation strategy can say why a prompt has none.
    """

    taxonomy: str
    method: str
    per_class: dict[str, list[tuple[str, float]]]
    n_examples: dict[str, int]
    empty_classes: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)

    def words(self, label: str, k: int | None = None) -> list[str]:
        """The top `k` words of a class (all when k is None); [] for an unknown class."""
        ranked = self.per_class.get(label, [])
        return [word for word, _ in (ranked if k is None else ranked[:k])]

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "taxonomy": self.taxonomy,
            "method": self.method,
            "classes": {
                label: {
                    "n_examples": self.n_examples.get(label, 0),
                    "words": [{"word": word, "score": score} for word, score in ranked],
                }
                for label, ranked in self.per_class.items()
            },
            "empty_classes": list(self.empty_classes),
            "metadata": self.metadata,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Keywords:
        version = data.get("format_version")
        if version != FORMAT_VERSION:
            raise ValueError(f"keywords format_version {version!r}; expected {FORMAT_VERSION}")
        classes = data["classes"]
        return cls(
            taxonomy=data["taxonomy"],
            method=data["method"],
            per_class={
                label: [(entry["word"], float(entry["score"])) for entry in body["words"]]
                for label, body in classes.items()
            },
            n_examples={label: int(body["n_examples"]) for label, body in classes.items()},
            empty_classes=list(data.get("empty_classes", [])),
            metadata=dict(data.get("metadata", {})),
        )


def save_keywords(keywords: Keywords, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / KEYWORDS_FILE
    path.write_text(json.dumps(keywords.to_dict(), indent=2, ensure_ascii=False))
    return path


def load_keywords(path: Path | str) -> Keywords:
    """Read a keywords.json (or the folder holding one)."""
    path = Path(path)
    if path.is_dir():
        path = path / KEYWORDS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no keywords file at {path}")
    return Keywords.from_dict(json.loads(path.read_text()))
