"""When every event stamped before a time is committed: the SQLite store's settled time.

Events are stamped with ``event.ingested`` *inside* the ``BEGIN IMMEDIATE`` transaction that
stores them, and SQLite runs one write transaction at a time, across every process sharing
the file. So a detector that takes the write lock for an instant at time ``S`` knows that
every event stamped before ``S`` has been committed (its transaction held the lock first),
and that every event not yet written will be stamped later -- provided the stamps never go
below ``S``. Wall clocks can step back (NTP) and processes do not share their memory of the
last stamp, so the file keeps one: the *clock mark*, the highest settled time handed out.
Writers stamp no earlier than it, and :func:`settle` raises it.

Detection then ends its windows at ``S`` instead of a fixed ``detection.ingest_delay`` before
now (5 s later alerts, and a guess: a batch held in its transaction for longer than the delay
would be missed).
"""

from __future__ import annotations

import sqlite3

INGEST_CLOCK_SCHEMA = """
CREATE TABLE IF NOT EXISTS ingest_clock (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    settled TEXT NOT NULL
);
"""


def stamp(conn: sqlite3.Connection, now: str) -> str:
    """The ``event.ingested`` of a batch written now, inside its write transaction: never
    below a settled time already handed out, whatever the clock says."""
    return max(now, _mark(conn))


def settle(conn: sqlite3.Connection, now: str) -> str:
    """Inside a write transaction: the time before which every event ever stamped is
    committed, kept as the mark later stamps respect."""
    settled = stamp(conn, now)
    conn.execute(
        "INSERT INTO ingest_clock (id, settled) VALUES (0, ?)"
        " ON CONFLICT (id) DO UPDATE SET settled = excluded.settled",
        (settled,),
    )
    return settled


def _mark(conn: sqlite3.Connection) -> str:
    row = conn.execute("SELECT settled FROM ingest_clock WHERE id = 0").fetchone()
    return "" if row is None else str(row[0])
