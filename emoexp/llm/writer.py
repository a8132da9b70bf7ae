"""Group commits for the async engine: a writer thread stores answers as they arrive and
wakes each waiting request only after its row is committed.

Under load many answers arrive between two commits, so one transaction carries them all;
the event loop never blocks on SQLite. An answer is handed out only once it is durable,
so a killed run loses at most the answers still waiting for their commit.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from typing import Any

from emoexp.llm.cache import CachedResponse, ResponseCache

_STOP = object()
_MAX_GROUP = 1024


class CacheWriter:
    def __init__(self, cache: ResponseCache) -> None:
        self.cache = cache
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="emoexp-cache-writer", daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None
        self.commits = 0

    def start(self) -> CacheWriter:
        self._loop = asyncio.get_running_loop()
        self._thread.start()
        return self

    async def store(self, row: dict[str, object]) -> CachedResponse | None:
        """Wait until `row` is committed; returns the cache's own answer when another run
        had stored this key first, else None."""
        assert self._loop is not None, "CacheWriter.start() was not called"
        future: asyncio.Future[CachedResponse | None] = self._loop.create_future()
        self._queue.put((row, future))
        return await future

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            group = [self._queue.get()]
            while len(group) < _MAX_GROUP:
                try:
                    group.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if any(item is _STOP for item in group):
                stopping = True
                group = [item for item in group if item is not _STOP]
            if not group:
                continue
            try:
                kept = self.cache.put_many([row for row, _ in group])
                self.commits += 1
                outcome: Any = kept
                failed = False
            except BaseException as error:  # handed to every waiting request, never lost
                outcome, failed = error, True
            assert self._loop is not None
            self._loop.call_soon_threadsafe(_settle, group, outcome, failed)


def _settle(group: list[Any], outcome: Any, failed: bool) -> None:
    for row, future in group:
        if future.done():
            continue
        if failed:
            future.set_exception(outcome)
        else:
            future.set_result(outcome.get(row["key"]))
