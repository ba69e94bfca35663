"""Dead letters in the SQLite store: the ``dead_letters`` table."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from canhgac.models import DeadLetter
from canhgac.store.sqlite.events import Read
from canhgac.text import dumps


def write(conn: sqlite3.Connection, letters: Sequence[DeadLetter]) -> int:
    """Insert letters not stored yet inside the caller's transaction; how many were new."""
    before = conn.total_changes
    conn.executemany(
        "INSERT OR IGNORE INTO dead_letters (id, source, reason, raw, received_at,"
        " context) VALUES (?, ?, ?, ?, ?, ?)",
        [(d.id, d.source, d.reason, d.raw, d.received_at, dumps(d.context)) for d in letters],
    )
    return conn.total_changes - before


def newest(read: Read, limit: int) -> list[DeadLetter]:
    rows = read(
        "SELECT id, source, reason, raw, received_at, context FROM dead_letters"
        " ORDER BY received_at DESC, id LIMIT ?",
        (limit,),
    )
    return [DeadLetter(r[0], r[1], r[2], bytes(r[3]), r[4], json.loads(r[5])) for r in rows]


def count(read: Read) -> int:
    return int(read("SELECT count(*) FROM dead_letters", ())[0][0])
