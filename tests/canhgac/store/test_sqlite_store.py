"""The SQLite store against a real database file."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from canhgac.models import (
    DATASET,
    Alert,
    AlertFilter,
    AlertStatus,
    DeadLetter,
    Event,
    RuleRun,
    RuleState,
)
from canhgac.store.base import EventSearch
from canhgac.store.sqlite.schema import sql_field
from canhgac.store.sqlite.store import SQLiteStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "canhgac.db")
    yield s
    s.close()


def _event(i: int, **fields: object) -> Event:
    base: dict[str, object] = {
        "@timestamp": f"2026-11-27T10:00:{i:02d}.000000Z",
        "event.original": f"line {i}",
        "event.dataset": "syslog",
    }
    base.update(fields)
    return Event(f"id-{i:04d}", base)


def _alert(alert_id: str, seen: str) -> Alert:
    return Alert(
        id=alert_id,
        rule_id="r1",
        rule_title="Test",
        severity="high",
        first_seen=seen,
        last_seen=seen,
        created_at=seen,
        updated_at=seen,
    )


def test_write_is_idempotent_and_sets_ingested(store: SQLiteStore) -> None:
    assert store.write_events([_event(1), _event(2)]) == 2
    assert store.write_events([_event(1), _event(2), _event(3)]) == 1
    assert store.count_events() == 3
    [event] = store.get_events(["id-0003"])
    assert event.fields["event.ingested"] >= "2026"
    assert event.fields["event.original"] == "line 3"


def test_wal_mode_and_schema_survive_reopen(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    first = SQLiteStore(path)
    first.write_events([_event(1)])
    first.close()
    second = SQLiteStore(path)
    assert second.count_events() == 1
    second.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_vietnamese_text_is_stored_as_raw_utf8(store: SQLiteStore, tmp_path: Path) -> None:
    store.write_events([_event(1, **{"user.name": "nguyễn.văn.an"})])
    conn = sqlite3.connect(tmp_path / "canhgac.db")
    (doc,) = conn.execute("SELECT doc FROM events").fetchone()
    conn.close()
    assert "nguyễn.văn.an" in doc
    assert "\\u" not in doc


def test_search_pages_without_skipping_or_repeating(store: SQLiteStore) -> None:
    store.write_events([_event(i) for i in range(25)])
    seen: list[str] = []
    after = None
    while True:
        page = store.search_events(None, "", "9999", after=after, limit=10)
        seen.extend(e.id for e in page.events)
        if page.after is None:
            break
        after = page.after
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 25


def test_query_fragment_uses_fields_and_functions(store: SQLiteStore) -> None:
    store.write_events(
        [
            _event(1, **{"user.name": "NGUYỄN", "process.name": "sshd"}),
            _event(2, **{"user.name": "tran", "process.name": "cron"}),
        ]
    )
    folded = f"cg_fold({sql_field('user.name')}) = cg_fold('nguyễn')"
    assert [e.id for e in store.search_events(folded, "", "9999").events] == ["id-0001"]
    regex = f"{sql_field('process.name')} REGEXP '^ss'"
    assert [e.id for e in store.search_events(regex, "", "9999").events] == ["id-0001"]


def test_sql_field_refuses_injection() -> None:
    with pytest.raises(Exception, match="cannot reference"):
        sql_field("a') OR 1=1 --")


def test_record_alert_counts_distinct_events_once(store: SQLiteStore) -> None:
    first = store.record_alert(_alert("a1", "2026-11-27T10:00:00.000000Z"), ["e1", "e2"])
    assert first.created and first.alert.count == 2
    again = store.record_alert(_alert("a1", "2026-11-27T10:05:00.000000Z"), ["e2", "e3"])
    assert not again.created
    assert again.alert.count == 3
    assert again.alert.last_seen == "2026-11-27T10:05:00.000000Z"
    assert again.alert.first_seen == "2026-11-27T10:00:00.000000Z"


def test_alert_triage_update_and_filter(store: SQLiteStore) -> None:
    store.record_alert(_alert("a1", "2026-11-27T10:00:00.000000Z"), ["e1"])
    store.record_alert(_alert("a2", "2026-11-27T11:00:00.000000Z"), ["e2"])
    closed = store.get_alert("a1")
    assert closed is not None
    store.update_alert(closed.model_copy(update={"status": AlertStatus.closed}))
    open_ids = [a.id for a in store.list_alerts(AlertFilter(status=AlertStatus.new))]
    assert open_ids == ["a2"]
    assert [a.id for a in store.list_alerts(AlertFilter())] == ["a2", "a1"]


def test_notification_outbox(store: SQLiteStore) -> None:
    store.enqueue_notifications("a1", ["console", "email"])
    store.enqueue_notifications("a1", ["console"])
    pending = store.pending_notifications()
    assert sorted(n.channel for n in pending) == ["console", "email"]
    store.mark_notification(pending[0].model_copy(update={"status": "sent", "attempts": 1}))
    assert len(store.pending_notifications()) == 1


def test_window_and_watermark_are_written_together(store: SQLiteStore) -> None:
    state = RuleState(rule_id="r1", watermark="2026-11-27T10:01:00.000000Z")
    run = RuleRun(
        rule_id="r1",
        window_start="2026-11-27T10:00:00.000000Z",
        window_end="2026-11-27T10:01:00.000000Z",
        matches=2,
        finished_at="2026-11-27T10:01:05.000000Z",
    )
    store.complete_window(state, run)
    assert store.get_rule_state("r1") == state
    assert store.list_rule_runs("r1") == [run]


def test_dead_letters_keep_raw_bytes(store: SQLiteStore) -> None:
    raw = b"\xff\xfe\x00garbage\x80"
    letter = DeadLetter("d1", "syslog-udp", "not syslog", raw, "2026-11-27T10:00:00.000000Z")
    assert store.write_dead_letters([letter, letter]) == 1
    [back] = store.list_dead_letters()
    assert back.raw == raw and back.reason == "not syslog"


def test_concurrent_writers_lose_nothing(store: SQLiteStore) -> None:
    def writer(offset: int) -> None:
        for i in range(50):
            store.write_events([Event(f"t{offset}-{i}", _event(0).fields | {"n": i})])

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.count_events() == 200


def test_a_batch_of_searches_runs_on_several_connections_and_keeps_its_order(
    tmp_path: Path,
) -> None:
    store = SQLiteStore(tmp_path / "cg.db", search_threads=3)
    try:
        store.write_events(
            [
                Event(
                    f"e{i:03d}",
                    {"@timestamp": "2026-11-27T10:00:00.000000Z", DATASET: "auth", "n": i % 5},
                )
                for i in range(50)
            ]
        )
        early, late = "2000-01-01T00:00:00.000000Z", "2100-01-01T00:00:00.000000Z"
        # Narrowed by the dataset index: searched one by one (a search reading its whole
        # window would join the shared pass instead, see test_sqlite_shared_scan.py).
        narrowed = f"dataset = 'auth' COLLATE NOCASE AND {sql_field('n')}"
        searches = [EventSearch(f"{narrowed} = {n % 5}", early, late) for n in range(20)]
        store.search_events_batch(searches)  # the store learns each query's plan
        threads: set[str] = set()
        store._db.conn = _meeting(store._db.conn, threads)  # type: ignore[method-assign]
        pages = store.search_events_batch(searches)
        for n, page in enumerate(pages):
            assert not isinstance(page, Exception)
            assert [e.id for e in page.events] == [f"e{i:03d}" for i in range(n % 5, 50, 5)]
        assert len(threads) >= 2
    finally:
        store.close()


def _meeting(conn: Any, threads: set[str]) -> Any:
    """``conn`` whose first two threads must meet there: one thread alone breaks the barrier."""
    barrier = threading.Barrier(2, timeout=10)
    lock = threading.Lock()

    def wrapped() -> Any:
        name = threading.current_thread().name
        with lock:
            meet = name not in threads and len(threads) < 2
            threads.add(name)
        if meet:
            barrier.wait()
        return conn()

    return wrapped
