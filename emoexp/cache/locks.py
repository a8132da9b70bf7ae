"""An exclusive lock on a file, so parallel jobs (threads or processes) build one shared
artifact once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import filelock


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    # one lock object per call: each holder gets its own OS-level lock, so threads of one
    # process exclude each other as processes do
    with filelock.FileLock(str(path), thread_local=False, is_singleton=False):
        yield


@contextmanager
def unlocked(path: Path) -> Iterator[bool]:
    """Try the same lock without waiting: yields True (and holds it) when nobody held it.

    filelock takes the same `flock` as `file_lock`, so the two exclude each other.
    """
    if not path.exists():
        yield True
        return
    lock = filelock.UnixFileLock(str(path), timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        yield False
        return
    try:
        yield True
    finally:
        lock.release()
