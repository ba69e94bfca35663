"""One SQLite database file shared by threads: the connection handling every SQLite-backed
store uses (events store, triage store).

Each thread gets its own connection (a sqlite3 connection must not be used by two threads at
once); writes are serialized by one lock because SQLite allows a single writer anyway, and the
lock turns what would be SQLITE_BUSY retries into an orderly queue. sqlite3 errors become
:class:`~canhgac.errors.StoreError` here and nowhere else.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from canhgac.errors import StoreError

WAL_CHECKPOINT_PAGES = 1000
WAL_LIMIT_BYTES = 16 * 1024 * 1024

# Applied to every new connection after the common pragmas (SQL functions, store pragmas).
ConnectionSetup = Callable[[sqlite3.Connection], None]


def _no_setup(_conn: sqlite3.Connection) -> None:
    return None


class SQLiteDatabase:
    """Per-thread connections to one database file, a write transaction, a read helper."""

    def __init__(
        self,
        path: str | Path,
        *,
        synchronous: str = "FULL",
        setup: ConnectionSetup = _no_setup,
    ) -> None:
        # A file, never ":memory:": every thread opens its own connection to the same file.
        self.path = str(path)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._synchronous = synchronous
        self._setup = setup
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self.write_lock = threading.RLock()

    def conn(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self.write_lock:
                self._connections.append(conn)
        return conn

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self.path, timeout=30, isolation_level=None, check_same_thread=False
            )
            self._setup(conn)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={self._synchronous}")
            # Bound the WAL: checkpoint every WAL_CHECKPOINT_PAGES pages (SQLite's default,
            # made explicit) and truncate the file back to WAL_LIMIT_BYTES after a checkpoint,
            # instead of letting it keep its high-water size (80 MB seen under load).
            conn.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
            conn.execute(f"PRAGMA journal_size_limit={WAL_LIMIT_BYTES}")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open SQLite database {self.path}: {exc}") from exc
        return conn

    def executescript(self, script: str) -> None:
        """Run DDL (schema creation) under the write lock."""
        with self.write_lock:
            try:
                self.conn().executescript(script)
            except sqlite3.Error as exc:
                raise StoreError(f"SQLite schema update failed: {exc}") from exc

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed when the block ends, rolled back if it raises."""
        conn = self.conn()
        with self.write_lock:
            try:
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(f"SQLite write failed: {exc}") from exc
                raise

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        try:
            return self.conn().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite query failed: {exc}") from exc

    def close(self) -> None:
        with self.write_lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()
