"""An exclusive lock on a file, so parallel jobs build one shared artifact once."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import filelock


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


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
