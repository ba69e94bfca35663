"""Leases in the SQLite store: one row per lease, taken with a conditional upsert.

The upsert only replaces a row whose holder is the same owner or whose lease has expired,
and ``changes()`` tells whether it did; inside the store's ``BEGIN IMMEDIATE`` write
transaction that is atomic across processes sharing the file. A lease it refused is still taken
over if its holder is a process of this host that has died (:mod:`canhgac.store.lease_holders`).
"""

from __future__ import annotations

import sqlite3
import time

from canhgac.store.lease_holders import holder_is_gone, log_takeover

LEASES_SCHEMA = """
CREATE TABLE IF NOT EXISTS leases (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires_at REAL NOT NULL
)
"""

_ACQUIRE = """
INSERT INTO leases (name, owner, expires_at) VALUES (?, ?, ?)
ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
WHERE leases.owner = excluded.owner OR leases.expires_at <= ?
"""


def acquire(conn: sqlite3.Connection, name: str, owner: str, ttl: float) -> bool:
    """Take or renew ``name`` for ``owner``; call inside a write transaction."""
    conn.execute(LEASES_SCHEMA)
    now = time.time()
    conn.execute(_ACQUIRE, (name, owner, now + ttl, now))
    if conn.execute("SELECT changes()").fetchone()[0] == 1:
        return True
    (holder,) = conn.execute("SELECT owner FROM leases WHERE name = ?", (name,)).fetchone()
    if not holder_is_gone(holder):
        return False
    conn.execute(
        "UPDATE leases SET owner = ?, expires_at = ? WHERE name = ? AND owner = ?",
        (owner, now + ttl, name, holder),
    )
    log_takeover(name, holder)
    return True


def release(conn: sqlite3.Connection, name: str, owner: str) -> None:
    """Drop ``name`` if ``owner`` holds it; call inside a write transaction."""
    conn.execute(LEASES_SCHEMA)
    conn.execute("DELETE FROM leases WHERE name = ? AND owner = ?", (name, owner))
