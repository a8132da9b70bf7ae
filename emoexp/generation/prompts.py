"""Versioned prompt templates.

Each template is a YAML file `templates/<name>.v<N>.yaml` with a `system` message, a `user`
message for plain-text replies and, where the template can ask for JSON, a `user_json`
message. A template is never edited in place once results depend on it: a changed prompt is a
new version, and its id (`naive.v2`) travels in every request's `template` field (so the
response cache tells versions apart) and in every row's provenance.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

TEMPLATE_DIR = Path(__file__).with_name("templates")
_TEMPLATE_ID = re.compile(r"^(?P<name>[A-Za-z0-9_\-]+)\.v(?P<version>\d+)$")

Messages = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    version: int
    system: str
    user: str
    user_json: str = ""

    @property
    def id(self) -> str:
        return f"{self.name}.v{self.version}"

    def fields(self, structured: bool) -> set[str]:
        """Placeholders the chosen variant needs."""
        parts = [self.system, self.user_json if structured else self.user]
        return {name for part in parts for _, name, _, _ in string.Formatter().parse(part) if name}

    def render(self, *, structured: bool, **values: Any) -> Messages:
        """The chat messages for one request; a missing placeholder value is an error that
        names the template, not a prompt with a hole in it."""
        if structured and not self.user_json:
            raise ValueError(f"template {self.id} has no `user_json` variant for JSON replies")
        missing = self.fields(structured) - set(values)
        if missing:
            raise KeyError(f"template {self.id} needs values for {sorted(missing)}")
        user = self.user_json if structured else self.user
        messages: list[tuple[str, str]] = []
        if self.system.strip():
            messages.append(("system", self.system.format(**values).strip()))
        messages.append(("user", user.format(**values).strip()))
        return tuple(messages)


def load_template(ref: str, directory: Path = TEMPLATE_DIR) -> PromptTemplate:
    """A template by id (`naive.v1`, looked up in `directory`, the generation templates unless
    another folder is named) or by path to a YAML file whose name follows the same
    `<name>.v<N>.yaml` pattern."""
    return _load_template(ref, directory)


@lru_cache(maxsize=64)
def _load_template(ref: str, directory: Path) -> PromptTemplate:
    path = Path(ref)
    if path.suffix in {".yaml", ".yml"}:
        stem = path.stem
    else:
        stem, path = ref, directory / f"{ref}.yaml"
    match = _TEMPLATE_ID.match(stem)
    if match is None:
        raise ValueError(f"template {ref!r}: expected an id like 'naive.v1' (<name>.v<version>)")
    if not path.is_file():
        known = sorted(p.stem for p in directory.glob("*.yaml"))
        raise FileNotFoundError(f"template {ref!r} not found at {path}; known: {known}")
    body = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(body, dict) or "user" not in body:
        raise ValueError(f"template {path}: expected a mapping with at least a `user` message")
    return PromptTemplate(
        name=match["name"],
        version=int(match["version"]),
        system=str(body.get("system", "")),
        user=str(body["user"]),
        user_json=str(body.get("user_json", "")),
    )


def emotion_phrase(labels: tuple[str, ...] | list[str]) -> str:
    """'joy', 'joy and relief', 'joy, relief and pride'."""
    names = [label.replace("_", " ") for label in labels]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def language_instruction(language_name: str) -> str:
    """Appended to English-language prompts when the text should be in another language."""
    return "" if language_name == "English" else f" Write it in {language_name}."
