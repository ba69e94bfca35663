"""The SQLite WAL is truncated after a checkpoint (issue 10, L: it grew to 80 MB and stayed).

A reader holding a snapshot keeps checkpoints from reaching the end of the WAL, so it grows
past the auto-checkpoint size; once the reader is gone, the next checkpoint must shrink the
file back to the journal size limit instead of keeping its high-water size.
"""

from __future__ import annotations

import os
from pathlib import Path

from canhgac.store.sqlite.db import WAL_LIMIT_BYTES, SQLiteDatabase


def test_the_wal_shrinks_back_to_its_limit_after_a_checkpoint(tmp_path: Path) -> None:
    db = SQLiteDatabase(tmp_path / "wal.db", synchronous="OFF")
    db.executescript("CREATE TABLE t (v BLOB)")
    reader = SQLiteDatabase(tmp_path / "wal.db")
    reader_conn = reader.conn()
    reader_conn.execute("BEGIN")
    reader_conn.execute("SELECT count(*) FROM t").fetchall()  # holds a snapshot
    blob = os.urandom(1024 * 1024)
    for _ in range(WAL_LIMIT_BYTES // len(blob) + 8):
        with db.write() as conn:
            conn.execute("INSERT INTO t VALUES (?)", (blob,))
    wal = tmp_path / "wal.db-wal"
    assert wal.stat().st_size > WAL_LIMIT_BYTES  # grown while the reader held it
    reader_conn.execute("COMMIT")
    reader.close()
    with db.write() as conn:
        conn.execute("DELETE FROM t")
    db.conn().execute("PRAGMA wal_checkpoint(PASSIVE)")
    with db.write() as conn:  # the write after a complete checkpoint restarts the WAL
        conn.execute("INSERT INTO t VALUES (x'00')")
    assert wal.stat().st_size <= WAL_LIMIT_BYTES
    db.close()
