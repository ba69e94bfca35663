"""How the SQLite store lays events out on disk: what the write path's speed rests on."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from canhgac.models import Event, event_id
from canhgac.store.sqlite.schema import PAGE_SIZE
from canhgac.store.sqlite.store import SQLiteStore


def _query(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _event(n: int) -> Event:
    fields: dict[str, object] = {
        "@timestamp": f"2026-11-27T10:00:{n:02d}.000000Z",
        "event.original": f"sshd[1]: Failed password for Nguyễn {n}",
        "event.dataset": "system.auth",
        "user.name": "Nguyễn Văn An",
        "process.pid": n,
    }
    return Event(event_id("file:1:a", n * 100), fields)


def test_document_is_stored_as_json_text(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "c.db")
    store.write_events([_event(1)])
    store.close()
    row = _query(
        tmp_path / "c.db",
        "SELECT typeof(doc), json_extract(doc, '$.\"user.name\"'), instr(doc, 'Nguyễn') > 0,"
        " json_extract(doc, '$.\"event.original\"') FROM events",
    )[0]
    assert row == ("text", "Nguyễn Văn An", 1, None)  # event.original has its own column


def test_new_database_uses_large_pages_and_existing_one_keeps_its_own(tmp_path: Path) -> None:
    old = sqlite3.connect(tmp_path / "old.db")
    old.execute("PRAGMA page_size=4096")
    old.execute("CREATE TABLE t (x)")
    old.close()
    SQLiteStore(tmp_path / "new.db").close()
    SQLiteStore(tmp_path / "old.db").close()
    new_page = _query(tmp_path / "new.db", "PRAGMA page_size")[0][0]
    old_page = _query(tmp_path / "old.db", "PRAGMA page_size")[0][0]
    assert (new_page, old_page) == (PAGE_SIZE, 4096)


def test_an_older_timestamp_index_is_replaced_by_one_in_page_order(tmp_path: Path) -> None:
    SQLiteStore(tmp_path / "c.db").close()
    _query(tmp_path / "c.db", "DROP INDEX events_by_ts")
    _query(tmp_path / "c.db", "CREATE INDEX events_ts ON events(ts)")  # as older versions did
    SQLiteStore(tmp_path / "c.db").close()
    names = {row[0] for row in _query(tmp_path / "c.db", "SELECT name FROM sqlite_master")}
    assert "events_ts" not in names
    assert {"events_ingested", "events_by_dataset", "events_host", "events_user"} <= names
    assert {"events_by_source_ip", "events_by_destination_ip", "events_by_ts"} <= names
    assert "events_source_ip" not in names  # case-sensitive: no query could use it


def test_a_search_page_reads_its_time_range_through_the_index(tmp_path: Path) -> None:
    # A range of ts, newest first, as canhgac.store.sqlite.hunt pages: a seek, no sort.
    SQLiteStore(tmp_path / "p.db").close()
    plan = _query(
        tmp_path / "p.db",
        "EXPLAIN QUERY PLAN SELECT id FROM events WHERE ts >= '2026-12-01' AND ts < '2026-12-02'"
        " AND original LIKE '%x%' ORDER BY ts DESC, id DESC LIMIT 50",
    )
    details = " ".join(str(row[-1]) for row in plan)
    assert "USING INDEX events_by_ts" in details and "TEMP B-TREE" not in details
