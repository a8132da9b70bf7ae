"""Looking many keys up in SQLite at once: `WHERE key IN (...)` in chunks, because SQLite
caps the number of bound parameters of one statement."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

LOOKUP_CHUNK = 500


def rows_where_in(conn: sqlite3.Connection, query: str, keys: Iterable[str]) -> list[tuple]:
    """Rows of `query` (a SELECT whose `{marks}` placeholder ends in `IN ({marks})`) for every
    distinct key, looked up `LOOKUP_CHUNK` at a time."""
    unique = list(dict.fromkeys(keys))
    rows: list[tuple] = []
    for start in range(0, len(unique), LOOKUP_CHUNK):
        chunk = unique[start : start + LOOKUP_CHUNK]
        rows.extend(conn.execute(query.format(marks=",".join("?" * len(chunk))), chunk))
    return rows
