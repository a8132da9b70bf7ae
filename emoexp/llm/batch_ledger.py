"""The record of every Batch API submission, kept in the response cache's SQLite file.

A batch is paid for once it is created, so it is written down before anyone waits on it: a
row is reserved (with the requests it will carry) before the input file goes up, gets its
file id before the batch is created, and its batch id the moment the API answers. A run that
dies at any point leaves enough behind for the next run to find the batch again, and a
request that is waiting in a stored batch is never submitted a second time.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emoexp.llm.sqlite_lookup import rows_where_in

# statuses the API reports, and the ledger's own: `preparing` (reserved, input file not yet
# uploaded), `submitting` (file uploaded, batch not yet created), `abandoned` (the run
# stopped before the batch could have been created: nothing was submitted)
TERMINAL = frozenset({"completed", "failed", "expired", "cancelled", "abandoned"})
LOCAL_STATES = frozenset({"preparing", "submitting"})

_SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    batch_id TEXT UNIQUE,
    input_file_id TEXT,
    backend TEXT NOT NULL,
    model TEXT NOT NULL,
    status TEXT NOT NULL,
    request_count INTEGER NOT NULL,
    output_file_id TEXT,
    error_file_id TEXT,
    errors TEXT,
    owner TEXT NOT NULL,
    submitted_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    finished_at REAL,
    collected_at REAL
);
CREATE TABLE IF NOT EXISTS batch_requests (
    batch_row INTEGER NOT NULL REFERENCES batches (id),
    custom_id TEXT NOT NULL,
    request_json TEXT NOT NULL,
    outcome TEXT,
    error TEXT,
    PRIMARY KEY (batch_row, custom_id)
);
CREATE INDEX IF NOT EXISTS batch_requests_by_custom_id ON batch_requests (custom_id);
"""


@dataclass(frozen=True)
class StoredBatch:
    row: int
    batch_id: str | None
    input_file_id: str | None
    backend: str
    model: str
    status: str
    request_count: int
    output_file_id: str | None
    error_file_id: str | None
    errors: str | None
    owner: str
    submitted_at: float
    updated_at: float
    collected_at: float | None

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def label(self) -> str:
        return self.batch_id or f"unsubmitted#{self.row}"


_COLUMNS = (
    "id, batch_id, input_file_id, backend, model, status, request_count, output_file_id,"
    " error_file_id, errors, owner, submitted_at, updated_at, collected_at"
)


def this_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_is_gone(owner: str) -> bool:
    """Whether the process that reserved a batch has ended (only knowable on this host)."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class BatchLedger:
    """Tables `batches` and `batch_requests` beside `responses` in the cache file (WAL, its
    own connection, every change committed before the call returns)."""

    def __init__(self, path: str | Path, synchronous: str = "NORMAL") -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(
            str(self.path), isolation_level=None, check_same_thread=False, timeout=60.0
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(f"PRAGMA synchronous={synchronous.upper()}")
        self._conn.execute("PRAGMA busy_timeout=60000")
        with self._lock:
            self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    # ------------------------------------------------------------------ submission

    def reserve(
        self, backend: str, model: str, entries: Sequence[tuple[str, str]]
    ) -> tuple[int, list[tuple[str, str]]]:
        """Reserve a batch for the (custom_id, request identity) entries that no open batch
        holds, atomically with that check; returns the row and the entries it took."""
        now = time.time()
        with self._transaction() as conn:
            waiting = _pending_ids(conn, [custom_id for custom_id, _ in entries])
            taken = [(cid, identity) for cid, identity in entries if cid not in waiting]
            if not taken:
                return 0, []
            row = conn.execute(
                "INSERT INTO batches (backend, model, status, request_count, owner,"
                " submitted_at, updated_at) VALUES (?, ?, 'preparing', ?, ?, ?, ?)",
                (backend, model, len(taken), this_owner(), now, now),
            ).lastrowid
            conn.executemany(
                "INSERT INTO batch_requests (batch_row, custom_id, request_json) VALUES (?, ?, ?)",
                [(row, cid, identity) for cid, identity in taken],
            )
        assert row is not None
        return int(row), taken

    def file_uploaded(self, row: int, input_file_id: str) -> None:
        self._update(row, status="submitting", input_file_id=input_file_id)

    def created(self, row: int, batch_id: str, status: str) -> None:
        self._update(row, batch_id=batch_id, status=status)

    def refresh(
        self,
        row: int,
        *,
        status: str,
        output_file_id: str | None,
        error_file_id: str | None,
        errors: Any,
    ) -> None:
        values: dict[str, Any] = {
            "status": status,
            "output_file_id": output_file_id,
            "error_file_id": error_file_id,
            "errors": json.dumps(errors) if errors else None,
        }
        if status in TERMINAL:
            values["finished_at"] = time.time()
        self._update(row, **values)

    def _update(self, row: int, **values: Any) -> None:
        names = ", ".join(f"{name} = ?" for name in values)
        with self._lock:
            self._conn.execute(
                f"UPDATE batches SET {names}, updated_at = ? WHERE id = ?",
                (*values.values(), time.time(), row),
            )

    def settle(self, row: int, outcomes: Mapping[str, str | None]) -> None:
        """Close a finished batch: each custom id's outcome (None: answered, else the error)
        and the collection time, in one transaction."""
        with self._transaction() as conn:
            conn.executemany(
                "UPDATE batch_requests SET outcome = ?, error = ? WHERE batch_row = ?"
                " AND custom_id = ?",
                [
                    ("answered" if error is None else "error", error, row, custom_id)
                    for custom_id, error in outcomes.items()
                ],
            )
            conn.execute(
                "UPDATE batches SET collected_at = ?, updated_at = ? WHERE id = ?",
                (time.time(), time.time(), row),
            )

    # ------------------------------------------------------------------ reading

    def get(self, row: int) -> StoredBatch:
        with self._lock:
            found = self._conn.execute(
                f"SELECT {_COLUMNS} FROM batches WHERE id = ?", (row,)
            ).fetchone()
        if found is None:
            raise KeyError(f"no batch row {row} in {self.path}")
        return StoredBatch(*found)

    def open_batches(self) -> list[StoredBatch]:
        """Batches whose answers are not yet collected, oldest first."""
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM batches WHERE collected_at IS NULL ORDER BY id"
            ).fetchall()
        return [StoredBatch(*row) for row in rows]

    def all_batches(self) -> list[StoredBatch]:
        with self._lock:
            rows = self._conn.execute(f"SELECT {_COLUMNS} FROM batches ORDER BY id").fetchall()
        return [StoredBatch(*row) for row in rows]

    def entries(self, row: int) -> dict[str, str]:
        """custom_id -> request identity JSON of one batch."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT custom_id, request_json FROM batch_requests WHERE batch_row = ?", (row,)
            ).fetchall()
        return dict(rows)

    def pending_ids(self, custom_ids: Iterable[str]) -> set[str]:
        """Those custom ids that wait in a batch not yet settled: they must not go again."""
        with self._lock:
            return _pending_ids(self._conn, list(custom_ids))

    def submitted_before(self, custom_ids: Iterable[str]) -> set[str]:
        """Those custom ids that some earlier batch carried (and that came back unanswered)."""
        with self._lock:
            rows = rows_where_in(
                self._conn,
                "SELECT DISTINCT custom_id FROM batch_requests WHERE custom_id IN ({marks})",
                custom_ids,
            )
        return {row[0] for row in rows}


def _pending_ids(conn: sqlite3.Connection, custom_ids: list[str]) -> set[str]:
    rows = rows_where_in(
        conn,
        "SELECT DISTINCT r.custom_id FROM batch_requests r JOIN batches b"
        " ON r.batch_row = b.id WHERE r.outcome IS NULL AND b.status != 'abandoned'"
        " AND r.custom_id IN ({marks})",
        custom_ids,
    )
    return {row[0] for row in rows}
