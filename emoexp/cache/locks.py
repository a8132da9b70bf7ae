"""An exclusive lock on a file, so parallel jobs (threads or processes) build one shared
artifact once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    # one lock object per call: each holder gets its own OS-level lock, so threads of one
    # process exclude each other as processes do
    with FileLock(str(path), thread_local=False, is_singleton=False):
        yield
