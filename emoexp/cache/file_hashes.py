"""Content hashes of input files, memoised by (size, modification time).

A stage key must change when a data file's bytes change and must not change when the same
bytes sit at another path. Hashing a few MB per run is cheap; the memo makes reruns free:
a file whose size and mtime are unchanged is not read again.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path

_CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


class FileHashes:
    """sha256 of files, remembered in a JSON memo keyed by absolute path, size and mtime."""

    def __init__(self, memo_path: Path) -> None:
        self.memo_path = memo_path
        self._memo: dict[str, list] = {}
        if memo_path.is_file():
            try:
                self._memo = json.loads(memo_path.read_text())
            except (OSError, json.JSONDecodeError):
                self._memo = {}
        self._dirty = False

    def hash(self, path: Path) -> str:
        resolved = str(path.resolve())
        stat = path.stat()
        known = self._memo.get(resolved)
        if known and known[0] == stat.st_size and known[1] == stat.st_mtime_ns:
            return str(known[2])
        digest = sha256_of(path)
        self._memo[resolved] = [stat.st_size, stat.st_mtime_ns, digest]
        self._dirty = True
        return digest

    def save(self) -> None:
        """Write the memo atomically (a concurrent writer may win; a lost entry is re-hashed)."""
        if not self._dirty:
            return
        self.memo_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.memo_path.with_name(f".{self.memo_path.name}.{os.getpid()}")
        tmp.write_text(json.dumps(self._memo, sort_keys=True))
        tmp.replace(self.memo_path)
        self._dirty = False


def folder_contents(
    root: Path, memo_path: Path, extra_files: Iterable[Path] = ()
) -> dict[str, str]:
    """{relative path: sha256} of every file under `root` (hidden files skipped) and of
    `extra_files` outside it (named by their file name)."""
    hashes = FileHashes(memo_path)
    contents: dict[str, str] = {}
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            relative = path.relative_to(root)
            if path.is_file() and not any(part.startswith(".") for part in relative.parts):
                contents[relative.as_posix()] = hashes.hash(path)
    elif root.is_file():
        contents[root.name] = hashes.hash(root)
    for path in extra_files:
        if path.is_file() and not (root.is_dir() and path.resolve().is_relative_to(root.resolve())):
            contents[f"external/{path.name}"] = hashes.hash(path)
    hashes.save()
    return contents
