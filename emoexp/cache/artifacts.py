"""Content-addressed stage artifacts.

A stage's artifact lives at `<root>/<stage>/<key>`, where the key hashes the stage's own
config slice and its inputs' keys. Jobs of a sweep that share a stage's inputs share the
artifact: a sweep over `model=` generates once, a sweep over a filter threshold trains the
same generation many times. Artifacts are built in a temporary folder and renamed into place,
under a file lock, so parallel jobs never see half an artifact and never build one twice.
A temporary folder left by a killed process (`.<key>-xxxx`) is removed by the next run that
can take that key's lock.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from emoexp.cache.build_once import build_folder_once, lock_path
from emoexp.cache.locks import unlocked

log = logging.getLogger(__name__)

COMPLETE_MARKER = "_complete.json"


class ArtifactStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, stage: str, key: str) -> Path:
        return self.root / stage / key

    def exists(self, stage: str, key: str) -> bool:
        return (self.path(stage, key) / COMPLETE_MARKER).is_file()

    def _lock_path(self, stage: str, key: str) -> Path:
        return lock_path(self.path(stage, key))

    def remove_stale_temporaries(self, stage: str) -> list[Path]:
        """Delete temporary build folders whose builder is gone (its key's lock is free)."""
        removed: list[Path] = []
        folder = self.root / stage
        if not folder.is_dir():
            return removed
        for tmp in sorted(folder.glob(".*-*")):
            key = tmp.name[1:].rsplit("-", 1)[0]
            if not tmp.is_dir() or not key:
                continue
            with unlocked(self._lock_path(stage, key)) as free:
                if free and tmp.exists():
                    shutil.rmtree(tmp, ignore_errors=True)
                    removed.append(tmp)
        if removed:
            log.info("stage %s: removed %d leftover temporary folder(s)", stage, len(removed))
        return removed

    def get_or_build(
        self,
        stage: str,
        key: str,
        build: Callable[[Path], dict[str, Any] | None],
        describe: dict[str, Any] | None = None,
    ) -> tuple[Path, bool]:
        """Return the artifact folder, building it with `build(tmp_dir)` when absent.

        `build` writes its files into the folder it is given and may return a small JSON
        summary, stored beside the description of what produced the artifact. The boolean
        says whether the artifact was reused.
        """
        final = self.path(stage, key)
        if self.exists(stage, key):
            log.info("stage %s: reusing %s", stage, final)
            return final, True
        self.remove_stale_temporaries(stage)
        _, reused = build_folder_once(
            final,
            lambda tmp: self._marker(stage, key, build(tmp) or {}, describe),
            marker=COMPLETE_MARKER,
        )
        if not reused:
            log.info("stage %s: built %s", stage, final)
        return final, reused

    def put(
        self,
        stage: str,
        key: str,
        source: Path,
        summary: dict[str, Any],
        describe: dict[str, Any] | None = None,
    ) -> Path:
        """Store a copy of a finished folder under `key` (kept as it is when already there)."""

        def copy(tmp: Path) -> dict[str, Any]:
            shutil.copytree(source, tmp, dirs_exist_ok=True)
            return self._marker(stage, key, summary, describe)

        final, _ = build_folder_once(self.path(stage, key), copy, marker=COMPLETE_MARKER)
        return final

    @staticmethod
    def _marker(
        stage: str, key: str, summary: dict[str, Any], describe: dict[str, Any] | None
    ) -> dict[str, Any]:
        return {"stage": stage, "key": key, "inputs": describe or {}, "summary": summary}

    def summary(self, stage: str, key: str) -> dict[str, Any]:
        marker = json.loads((self.path(stage, key) / COMPLETE_MARKER).read_text())
        return dict(marker.get("summary", {}))
