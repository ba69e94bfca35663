"""Dead letters in the SQLite store: the ``dead_letters`` table, written by the indexer and
read back by ops (filtered pages, replaced or deleted by a replay); a reason class is matched
with the prefix rules of :func:`canhgac.dead_letters.class_filter`."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from canhgac.dead_letters import DeadLetterPage, DeadLetterQuery, class_filter, page_of
from canhgac.models import DeadLetter
from canhgac.store.sqlite.events import Read
from canhgac.text import dumps

_COLUMNS = "id, source, reason, raw, received_at, context"


def _values(letters: Sequence[DeadLetter]) -> list[tuple[Any, ...]]:
    return [(d.id, d.source, d.reason, d.raw, d.received_at, dumps(d.context)) for d in letters]


def write(conn: sqlite3.Connection, letters: Sequence[DeadLetter]) -> int:
    """Insert letters not stored yet inside the caller's transaction; how many were new."""
    before = conn.total_changes
    conn.executemany(
        f"INSERT OR IGNORE INTO dead_letters ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
        _values(letters),
    )
    return conn.total_changes - before


def newest(read: Read, limit: int) -> list[DeadLetter]:
    rows = read(
        f"SELECT {_COLUMNS} FROM dead_letters ORDER BY received_at DESC, id LIMIT ?", (limit,)
    )
    return [from_row(row) for row in rows]


def count(read: Read) -> int:
    return int(read("SELECT count(*) FROM dead_letters", ())[0][0])


def find(read: Read, query: DeadLetterQuery) -> DeadLetterPage:
    where, params = _where(query)
    rows = read(
        f"SELECT {_COLUMNS} FROM dead_letters WHERE {where} ORDER BY received_at, id LIMIT ?",
        [*params, query.limit],
    )
    return page_of([from_row(row) for row in rows], query.limit)


def from_row(row: Sequence[Any]) -> DeadLetter:
    return DeadLetter(row[0], row[1], row[2], bytes(row[3]), row[4], json.loads(row[5]))


def replace(conn: sqlite3.Connection, letters: Sequence[DeadLetter]) -> None:
    """Overwrite (or add) each letter; call inside a write transaction."""
    conn.executemany(
        f"INSERT OR REPLACE INTO dead_letters ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
        _values(letters),
    )


def delete(conn: sqlite3.Connection, ids: Sequence[str]) -> int:
    """Remove the letters of ``ids``; call inside a write transaction."""
    before = conn.total_changes
    conn.executemany("DELETE FROM dead_letters WHERE id = ?", [(i,) for i in ids])
    return conn.total_changes - before


def _where(query: DeadLetterQuery) -> tuple[str, list[Any]]:
    clauses: list[str] = ["1"]
    params: list[Any] = []
    if query.source is not None:
        clauses.append("source = ?")
        params.append(query.source)
    if query.since is not None:
        clauses.append("received_at >= ?")
        params.append(query.since)
    if query.after is not None:
        clauses.append("(received_at, id) > (?, ?)")
        params.extend(query.after)
    if query.reason is not None:
        alternatives = []
        for match in class_filter(query.reason):
            parts = ["substr(reason, 1, ?) = ?"]
            params.extend([len(match.prefix), match.prefix])
            for prefix in match.unless:
                parts.append("substr(reason, 1, ?) != ?")
                params.extend([len(prefix), prefix])
            alternatives.append("(" + " AND ".join(parts) + ")")
        clauses.append("(" + " OR ".join(alternatives) + ")")
    return " AND ".join(clauses), params
