"""Durable LLM response cache: every answer is committed before anyone uses it.

SQLite in WAL mode. A response is inserted and committed in its own transaction the moment
it arrives, so a killed run loses at most the requests that were still in flight, and a
rerun never pays for an answer twice. Failures go to their own table: they are a record of
what went wrong, never served as hits. The cache stores request identities (messages,
sampling), never credentials or endpoints; a secret a server echoes back is masked before
it is stored.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from emoexp.llm.sqlite_lookup import rows_where_in
from emoexp.tracking.redact import scrub_text

SCHEMA_VERSION = "1"
_SYNC_MODES = ("OFF", "NORMAL", "FULL", "EXTRA")
# SQLite's default limit on host parameters in one statement is 999 on old builds

_ROW_DEFAULTS: dict[str, object] = {
    "finish_reason": None,
    "prompt_tokens": 0,
    "completion_tokens": 0,
    "attempts": 1,
    "latency_s": None,
}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    backend TEXT NOT NULL,
    model TEXT NOT NULL,
    request_json TEXT NOT NULL,
    text TEXT NOT NULL,
    finish_reason TEXT,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 1,
    latency_s REAL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS failures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    backend TEXT NOT NULL,
    model TEXT NOT NULL,
    error TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS failures_by_key ON failures (key);
"""


@dataclass(frozen=True)
class CachedResponse:
    key: str
    text: str
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int
    attempts: int
    created_at: float


@dataclass(frozen=True)
class FailureRecord:
    key: str
    error: str
    attempts: int
    created_at: float


class ResponseCache:
    """One SQLite connection guarded by a lock: safe from threads and from an event loop
    (each call is short), and from several processes through SQLite's own locking."""

    def __init__(self, path: str | Path, synchronous: str = "NORMAL") -> None:
        mode = synchronous.upper()
        if mode not in _SYNC_MODES:
            raise ValueError(f"cache synchronous mode must be one of {_SYNC_MODES}, got {mode!r}")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # autocommit mode: every statement outside BEGIN..COMMIT commits by itself
        self._conn = sqlite3.connect(
            str(self.path), isolation_level=None, check_same_thread=False, timeout=60.0
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(f"PRAGMA synchronous={mode}")
        self._conn.execute("PRAGMA busy_timeout=60000")
        with self._lock:
            self._conn.executescript(_SCHEMA)
            self._conn.execute(
                "INSERT OR IGNORE INTO meta (name, value) VALUES ('schema_version', ?)",
                (SCHEMA_VERSION,),
            )
            found = self._conn.execute(
                "SELECT value FROM meta WHERE name = 'schema_version'"
            ).fetchone()[0]
        if found != SCHEMA_VERSION:
            raise RuntimeError(
                f"response cache {self.path} has schema {found}, this code reads {SCHEMA_VERSION}"
            )

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> ResponseCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, key: str) -> CachedResponse | None:
        return self.get_many([key]).get(key)

    def get_many(self, keys: Iterable[str]) -> dict[str, CachedResponse]:
        with self._lock:
            rows = rows_where_in(
                self._conn,
                "SELECT key, text, finish_reason, prompt_tokens, completion_tokens, "
                "attempts, created_at FROM responses WHERE key IN ({marks})",
                keys,
            )
        return {row[0]: CachedResponse(*row) for row in rows}

    def put(
        self,
        key: str,
        *,
        backend: str,
        model: str,
        request_json: str,
        text: str,
        finish_reason: str | None = None,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
        attempts: int = 1,
        latency_s: float | None = None,
    ) -> CachedResponse:
        """Store and commit one response; returns what the cache now holds for the key
        (the first stored answer wins when two runs raced on the same request)."""
        text = scrub_text(text)
        now = time.time()
        with self._lock:
            inserted = self._conn.execute(
                "INSERT INTO responses (key, backend, model, request_json, text, finish_reason,"
                " prompt_tokens, completion_tokens, attempts, latency_s, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO NOTHING",
                (
                    key,
                    backend,
                    model,
                    request_json,
                    text,
                    finish_reason,
                    prompt_tokens,
                    completion_tokens,
                    attempts,
                    latency_s,
                    now,
                ),
            ).rowcount
        if inserted:
            return CachedResponse(
                key, text, finish_reason, prompt_tokens, completion_tokens, attempts, now
            )
        stored = self.get(key)
        if stored is None:
            raise RuntimeError(f"response {key} neither inserted nor found in {self.path}")
        return stored

    def put_many(self, rows: Sequence[Mapping[str, object]]) -> dict[str, CachedResponse]:
        """Store several responses in one transaction (one commit for a whole group).
        Returns, for keys that already held an answer, the answer the cache keeps."""
        now = time.time()
        rows = [{**row, "text": scrub_text(str(row["text"]))} for row in rows]
        keys = [str(row["key"]) for row in rows]
        with self._lock:
            before = self._conn.total_changes
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.executemany(
                    "INSERT INTO responses (key, backend, model, request_json, text,"
                    " finish_reason, prompt_tokens, completion_tokens, attempts, latency_s,"
                    " created_at) VALUES (:key, :backend, :model, :request_json, :text,"
                    " :finish_reason, :prompt_tokens, :completion_tokens, :attempts,"
                    " :latency_s, :created_at) ON CONFLICT(key) DO NOTHING",
                    [{**_ROW_DEFAULTS, **row, "created_at": now} for row in rows],
                )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            inserted = self._conn.total_changes - before
        if inserted == len(set(keys)) and len(keys) == len(set(keys)):
            return {}
        stored = self.get_many(keys)
        texts = {str(row["key"]): row["text"] for row in rows}
        return {key: answer for key, answer in stored.items() if answer.text != texts[key]}

    def record_failure(
        self, key: str, *, backend: str, model: str, error: str, attempts: int
    ) -> None:
        error = scrub_text(error)
        with self._lock:
            self._conn.execute(
                "INSERT INTO failures (key, backend, model, error, attempts, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (key, backend, model, error, attempts, time.time()),
            )

    def failures(self, key: str | None = None) -> list[FailureRecord]:
        query = "SELECT key, error, attempts, created_at FROM failures"
        params: tuple[str, ...] = ()
        if key is not None:
            query += " WHERE key = ?"
            params = (key,)
        with self._lock:
            rows = self._conn.execute(query + " ORDER BY id", params).fetchall()
        return [FailureRecord(*row) for row in rows]

    def keys(self) -> Iterator[str]:
        with self._lock:
            rows = self._conn.execute("SELECT key FROM responses ORDER BY created_at").fetchall()
        return (row[0] for row in rows)

    def __len__(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM responses").fetchone()[0])
