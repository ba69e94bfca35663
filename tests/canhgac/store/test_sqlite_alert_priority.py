"""A SQLite database made before alert priorities gets the column and keeps its alerts."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from canhgac.models import AlertFilter
from canhgac.store.sqlite.store import SQLiteStore
from tests.support.alerts import bare_alert


def test_an_old_database_gets_the_priority_column_and_sorts_its_alerts_last(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    store = SQLiteStore(path)
    store.record_alert(bare_alert("old", None), ["e1"])
    store.close()
    # As a database made before priorities: no column, no index.
    with sqlite3.connect(path) as conn:
        conn.execute("DROP INDEX alerts_priority")
        conn.execute("ALTER TABLE alerts DROP COLUMN priority")
    conn.close()

    store = SQLiteStore(path)
    try:
        with sqlite3.connect(path) as conn:
            columns = {row[1] for row in conn.execute("PRAGMA table_info(alerts)")}
            indexes = {row[1] for row in conn.execute("PRAGMA index_list(alerts)")}
        conn.close()
        assert "priority" in columns
        assert "alerts_priority" in indexes
        store.record_alert(bare_alert("new", 9), ["e2"])
        assert [a.id for a in store.list_alerts(AlertFilter(sort="priority"))] == ["new", "old"]
    finally:
        store.close()
