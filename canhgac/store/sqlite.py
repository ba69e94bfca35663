"""The embedded store: one SQLite database file in WAL mode.

Events are kept as a JSON document of flat ECS fields plus a few indexed columns for the keys
that queries and the UI filter on. Detection queries reference fields through
:func:`sql_field`, so the column layout is known in one place only.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from canhgac.errors import StoreError
from canhgac.models import (
    ALERT_SNAPSHOT_FILTERS,
    INGESTED,
    ORIGINAL,
    Alert,
    AlertFilter,
    AlertSort,
    AlertStatus,
    DeadLetter,
    Event,
    Notification,
    RuleRun,
    RuleState,
)
from canhgac.store import sqlite_health, sqlite_leases
from canhgac.store.base import AlertWrite, EventPage, EventSearch, Store, merge_alert
from canhgac.store.sqlite_db import SQLiteDatabase
from canhgac.store.sqlite_functions import register_functions
from canhgac.text import dumps, dumps_utf8, fold
from canhgac.timeutil import now_iso

# ECS field -> indexed column. Everything else lives in the JSON document ``doc``.
COLUMNS: dict[str, str] = {
    "@timestamp": "ts",
    INGESTED: "ingested",
    "event.dataset": "dataset",
    "host.name": "host",
    "user.name": "user_name",
    "source.ip": "source_ip",
    ORIGINAL: "original",
}
_DOC_EXCLUDED = {INGESTED, ORIGINAL}
PAGE_SIZE = 16384
WAL_CHECKPOINT_BYTES = 80 * 1024 * 1024
_SAFE_FIELD = re.compile(r"^[\w.@\-]+$")

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    ts TEXT NOT NULL,
    ingested TEXT NOT NULL,
    dataset TEXT,
    host TEXT,
    user_name TEXT,
    source_ip TEXT,
    original TEXT,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_ingested ON events(ingested, id);
-- No index on ts alone: every query reaches events through ingested (detection windows,
-- search_events) or through host/user/source_ip with ts (timelines), and each index costs
-- every write (about 8% of the ingest rate each; bench/bench_sqlite_ingest.py).
DROP INDEX IF EXISTS events_ts;
-- NOCASE: Sigma compares strings case-insensitively; detection's logsource condition
-- (dataset = 'x' COLLATE NOCASE) seeks this index instead of scanning every event.
CREATE INDEX IF NOT EXISTS events_dataset ON events(dataset COLLATE NOCASE, ingested);
CREATE INDEX IF NOT EXISTS events_host ON events(host, ts);
CREATE INDEX IF NOT EXISTS events_user ON events(user_name, ts);
CREATE INDEX IF NOT EXISTS events_source_ip ON events(source_ip, ts);

CREATE TABLE IF NOT EXISTS dead_letters (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    reason TEXT NOT NULL,
    raw BLOB NOT NULL,
    received_at TEXT NOT NULL,
    context TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letters_received ON dead_letters(received_at);

CREATE TABLE IF NOT EXISTS alerts (
    id TEXT PRIMARY KEY,
    rule_id TEXT NOT NULL,
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    -- before doc: a scan reads it without walking the document's overflow pages
    search TEXT,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_last_seen ON alerts(last_seen);
CREATE INDEX IF NOT EXISTS alerts_status ON alerts(status, last_seen);
CREATE INDEX IF NOT EXISTS alerts_rule ON alerts(rule_id, last_seen);
CREATE INDEX IF NOT EXISTS alerts_severity ON alerts(severity, last_seen);
CREATE INDEX IF NOT EXISTS alerts_host
    ON alerts(json_extract(doc, '$.snapshot."host.name"'), last_seen);
CREATE INDEX IF NOT EXISTS alerts_user
    ON alerts(json_extract(doc, '$.snapshot."user.name"'), last_seen);
CREATE INDEX IF NOT EXISTS alerts_source_ip
    ON alerts(json_extract(doc, '$.snapshot."source.ip"'), last_seen);

CREATE TABLE IF NOT EXISTS alert_events (
    alert_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    PRIMARY KEY (alert_id, event_id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS notifications (
    alert_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    last_error TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (alert_id, channel)
);
CREATE INDEX IF NOT EXISTS notifications_status ON notifications(status);

CREATE TABLE IF NOT EXISTS rule_state (
    rule_id TEXT PRIMARY KEY,
    doc TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS rule_runs (
    rule_id TEXT NOT NULL,
    window_start TEXT NOT NULL,
    window_end TEXT NOT NULL,
    matches INTEGER NOT NULL,
    finished_at TEXT NOT NULL,
    PRIMARY KEY (rule_id, window_start)
);
"""


def sql_field(name: str) -> str:
    """The SQL expression that reads ECS field ``name`` from the ``events`` table."""
    column = COLUMNS.get(name)
    if column:
        return column
    if not _SAFE_FIELD.match(name):
        raise StoreError(f"field name {name!r} has characters a query cannot reference")
    return f"json_extract(doc, '$.\"{name}\"')"


def sql_field_container(name: str) -> str | None:
    """The SQL expression of the stored text holding field ``name``, or None for a field with
    its own column. That text is the event's JSON document (raw UTF-8, see :func:`dumps`), so a
    substring of the value that JSON does not escape is also a substring of it -- detection
    uses this for a cheap prefilter before :func:`sql_field` parses the document."""
    return None if name in COLUMNS else "doc"


def _setup_connection(conn: sqlite3.Connection) -> None:
    # Only takes effect on a new, empty database (before WAL and the first table).
    # Events are ~1 KB rows appended in batches: 16 KiB pages split and rebalance
    # a quarter as often as 4 KiB ones (bench/bench_sqlite_ingest.py: ~1.15x).
    conn.execute(f"PRAGMA page_size={PAGE_SIZE}")
    # A bigger page cache and fewer, larger checkpoints (a WAL of up to ~80 MB) write
    # each hot index page to the database file less often.
    conn.execute("PRAGMA cache_size=-16384")
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_BYTES // page_size}")
    conn.execute("PRAGMA foreign_keys=ON")
    register_functions(conn)


def _row_event(event_id: str, ingested: str, doc: str, original: str | None) -> Event:
    fields: dict[str, Any] = json.loads(doc)
    fields[INGESTED] = ingested
    if original is not None:
        fields[ORIGINAL] = original
    return Event(event_id, fields)


class SQLiteStore(Store):
    """The embedded store. Safe to share between threads: each thread gets its own
    connection, and writes are serialized by a lock (SQLite allows one writer anyway)."""

    query_language: ClassVar[str] = "sqlite"

    def __init__(
        self,
        path: str | Path,
        *,
        synchronous: str = "FULL",
        search_threads: int | None = None,
        now: Callable[[], str] = now_iso,
    ) -> None:
        self._db = SQLiteDatabase(path, synchronous=synchronous, setup=_setup_connection)
        self.path = self._db.path
        self._write = self._db.write
        self._read = self._db.read
        self._last_ingested = ""
        self._now = now  # the clock event.ingested is read from (a seam for tests)
        # A tick's searches run on this many threads, each with its own connection: SQLite
        # reads run in parallel under WAL, and sqlite3 releases the GIL while a query steps.
        self._search_threads = search_threads or min(4, os.cpu_count() or 1)
        self._search_pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        with self._db.write_lock:
            sqlite_health.check_integrity(self._db)
            self._db.executescript(SCHEMA)
            self._add_alert_search_column()
        self._health = sqlite_health.SQLiteHealth(self._db)

    def health(self) -> sqlite_health.SQLiteHealth:
        return self._health

    def _add_alert_search_column(self) -> None:
        # Databases made before the queue's free-text search lack the column; their alerts
        # keep a NULL there, which _ALERT_TEXT answers by folding the document on the fly.
        columns = {row[1] for row in self._read("PRAGMA table_info(alerts)")}
        if "search" not in columns:
            self._db.executescript("ALTER TABLE alerts ADD COLUMN search TEXT")

    # --- leases (canhgac.store.sqlite_leases) -------------------------------------------------
    def acquire_lease(self, name: str, owner: str, ttl: float) -> bool:
        with self._write() as conn:
            return sqlite_leases.acquire(conn, name, owner, ttl)

    def release_lease(self, name: str, owner: str) -> None:
        with self._write() as conn:
            sqlite_leases.release(conn, name, owner)

    def close(self) -> None:
        with self._pool_lock:
            pool, self._search_pool = self._search_pool, None
        if pool is not None:
            pool.shutdown(wait=True)
        self._db.close()

    # --- events ------------------------------------------------------------------------------
    def _ingested_now(self) -> str:
        # Never go backwards, even if the wall clock does: windows are ranges over this field.
        self._last_ingested = max(self._now(), self._last_ingested)
        return self._last_ingested

    def write_events(self, events: Sequence[Event]) -> int:
        if not events:
            return 0
        with self._write() as conn:
            ingested = self._ingested_now()
            rows = [_event_row(event, ingested) for event in events]
            before = conn.total_changes
            # doc arrives as UTF-8 bytes (see _event_row); CAST makes it TEXT, which JSON
            # functions read as JSON text (a BLOB would be read as SQLite's binary JSONB).
            conn.executemany(
                "INSERT OR IGNORE INTO events (id, ts, ingested, dataset, host, user_name,"
                " source_ip, original, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS TEXT))",
                rows,
            )
            return conn.total_changes - before

    def search_events(
        self,
        query: Any,
        start: str,
        end: str,
        *,
        after: tuple[str, str] | None = None,
        limit: int = 1000,
    ) -> EventPage:
        sql = "SELECT id, ingested, doc, original FROM events WHERE ingested >= ? AND ingested < ?"
        params: list[Any] = [start, end]
        if after is not None:
            sql += " AND (ingested, id) > (?, ?)"
            params.extend(after)
        if query:
            sql += f" AND ({query})"
        sql += " ORDER BY ingested, id LIMIT ?"
        params.append(limit)
        rows = self._read(sql, params)
        events = [_row_event(*row) for row in rows]
        last = (rows[-1][1], rows[-1][0]) if len(rows) == limit else None
        return EventPage(events, last)

    def search_events_batch(self, searches: Sequence[EventSearch]) -> list[EventPage | StoreError]:
        if len(searches) < 2 or self._search_threads < 2:
            return super().search_events_batch(searches)
        with self._pool_lock:
            if self._search_pool is None:
                self._search_pool = ThreadPoolExecutor(
                    self._search_threads, thread_name_prefix="sqlite-search"
                )
            pool = self._search_pool
        one_by_one = super().search_events_batch  # (super() does not work in a comprehension)
        futures = [pool.submit(one_by_one, [search]) for search in searches]
        return [page for future in futures for page in future.result()]

    def get_events(self, ids: Sequence[str]) -> list[Event]:
        found: dict[str, Event] = {}
        for chunk in _chunks(list(ids), 500):
            marks = ",".join("?" * len(chunk))
            for row in self._read(
                f"SELECT id, ingested, doc, original FROM events WHERE id IN ({marks})", chunk
            ):
                found[row[0]] = _row_event(*row)
        return [found[i] for i in ids if i in found]

    def count_events(self) -> int:
        return int(self._read("SELECT count(*) FROM events")[0][0])

    # --- dead letters --------------------------------------------------------------------------
    def write_dead_letters(self, letters: Sequence[DeadLetter]) -> int:
        if not letters:
            return 0
        with self._write() as conn:
            before = conn.total_changes
            conn.executemany(
                "INSERT OR IGNORE INTO dead_letters (id, source, reason, raw, received_at,"
                " context) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (d.id, d.source, d.reason, d.raw, d.received_at, dumps(d.context))
                    for d in letters
                ],
            )
            return conn.total_changes - before

    def list_dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        rows = self._read(
            "SELECT id, source, reason, raw, received_at, context FROM dead_letters"
            " ORDER BY received_at DESC, id LIMIT ?",
            (limit,),
        )
        return [DeadLetter(r[0], r[1], r[2], bytes(r[3]), r[4], json.loads(r[5])) for r in rows]

    def count_dead_letters(self) -> int:
        return int(self._read("SELECT count(*) FROM dead_letters")[0][0])

    # --- alerts --------------------------------------------------------------------------------
    def record_alert(self, alert: Alert, event_ids: Sequence[str]) -> AlertWrite:
        return self.record_alerts([(alert, event_ids)])[0]

    def record_alerts(self, alerts: Sequence[tuple[Alert, Sequence[str]]]) -> list[AlertWrite]:
        # One transaction for the whole batch: one commit (one fsync) per detection tick.
        with self._write() as conn:
            return [_record_alert(conn, alert, event_ids) for alert, event_ids in alerts]

    def get_alert(self, alert_id: str) -> Alert | None:
        rows = self._read("SELECT doc FROM alerts WHERE id = ?", (alert_id,))
        return Alert.model_validate_json(rows[0][0]) if rows else None

    def list_alerts(self, query: AlertFilter) -> list[Alert]:
        where, params = _alert_where(query, with_status=True)
        order = _ALERT_ORDER[query.sort]
        # Sort and page over (id, sort keys) only, then read that page's documents: sorting
        # whole documents of a large table would carry every document through the sorter.
        page = self._read(
            f"SELECT id, {order.keys} FROM alerts WHERE {where} ORDER BY {order.by}"
            " LIMIT ? OFFSET ?",
            [*params, query.limit, query.offset],
        )
        ids = [row[0] for row in page]
        marks = ",".join("?" * len(ids))
        docs = dict(self._read(f"SELECT id, doc FROM alerts WHERE id IN ({marks})", ids))
        return [Alert.model_validate_json(docs[i]) for i in ids if i in docs]

    def count_alerts(self, query: AlertFilter) -> dict[AlertStatus, int]:
        where, params = _alert_where(query, with_status=False)
        if not params:
            # Unfiltered: GROUP BY walks the (status, last_seen) index without the table.
            rows = self._read("SELECT status, count(*) FROM alerts GROUP BY status")
            counts = dict.fromkeys(AlertStatus, 0)
            counts.update({AlertStatus(status): int(n) for status, n in rows})
            return counts
        # Filtered: one pass over the matching rows. GROUP BY would walk the status index and
        # look every row up in the table, several times slower for a scanning filter.
        statuses = list(AlertStatus)
        sums = ", ".join("sum(status = ?)" for _ in statuses)
        row = self._read(f"SELECT {sums} FROM alerts WHERE {where}", [*statuses, *params])[0]
        return {status: int(n or 0) for status, n in zip(statuses, row, strict=True)}

    def update_alert(self, alert: Alert) -> None:
        # Only the triage fields: a concurrent record_alert may have merged new matches
        # into the stored document since ``alert`` was read.
        with self._write() as conn:
            row = conn.execute("SELECT doc FROM alerts WHERE id = ?", (alert.id,)).fetchone()
            if row is None:
                return
            stored = Alert.model_validate_json(row[0]).model_copy(
                update={
                    "status": alert.status,
                    "assignee": alert.assignee,
                    "close_reason": alert.close_reason,
                    "updated_at": alert.updated_at,
                }
            )
            conn.execute(
                "UPDATE alerts SET status = ?, doc = ? WHERE id = ?",
                (str(stored.status), stored.model_dump_json(), alert.id),
            )

    # --- notifications -----------------------------------------------------------------------
    def enqueue_notifications(self, alert_id: str, channels: Sequence[str]) -> None:
        self.enqueue_notifications_batch([(alert_id, channels)])

    def enqueue_notifications_batch(self, items: Sequence[tuple[str, Sequence[str]]]) -> None:
        now = now_iso()
        with self._write() as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO notifications (alert_id, channel, status, attempts,"
                " last_error, updated_at) VALUES (?, ?, 'pending', 0, NULL, ?)",
                [(alert_id, channel, now) for alert_id, channels in items for channel in channels],
            )

    def pending_notifications(self, limit: int = 100) -> list[Notification]:
        rows = self._read(
            "SELECT alert_id, channel, status, attempts, last_error, updated_at"
            " FROM notifications WHERE status = 'pending' ORDER BY updated_at LIMIT ?",
            (limit,),
        )
        return [
            Notification(
                alert_id=r[0],
                channel=r[1],
                status=r[2],
                attempts=r[3],
                last_error=r[4],
                updated_at=r[5],
            )
            for r in rows
        ]

    def mark_notification(self, note: Notification) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE notifications SET status = ?, attempts = ?, last_error = ?,"
                " updated_at = ? WHERE alert_id = ? AND channel = ?",
                (
                    note.status,
                    note.attempts,
                    note.last_error,
                    note.updated_at,
                    note.alert_id,
                    note.channel,
                ),
            )

    def list_notifications(self, alert_id: str) -> list[Notification]:
        rows = self._read(
            "SELECT alert_id, channel, status, attempts, last_error, updated_at"
            " FROM notifications WHERE alert_id = ? ORDER BY channel",
            (alert_id,),
        )
        return [
            Notification(
                alert_id=r[0],
                channel=r[1],
                status=r[2],
                attempts=r[3],
                last_error=r[4],
                updated_at=r[5],
            )
            for r in rows
        ]

    # --- rule run-state ------------------------------------------------------------------------
    def get_rule_state(self, rule_id: str) -> RuleState | None:
        rows = self._read("SELECT doc FROM rule_state WHERE rule_id = ?", (rule_id,))
        return RuleState.model_validate_json(rows[0][0]) if rows else None

    def complete_window(self, state: RuleState, run: RuleRun) -> None:
        self.complete_windows([(state, run)])

    def complete_windows(self, windows: Sequence[tuple[RuleState, RuleRun]]) -> None:
        with self._write() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO rule_state (rule_id, doc) VALUES (?, ?)",
                [(state.rule_id, state.model_dump_json()) for state, _ in windows],
            )
            conn.executemany(
                "INSERT OR REPLACE INTO rule_runs (rule_id, window_start, window_end, matches,"
                " finished_at) VALUES (?, ?, ?, ?, ?)",
                [
                    (run.rule_id, run.window_start, run.window_end, run.matches, run.finished_at)
                    for _, run in windows
                ],
            )

    def save_rule_states(self, states: Sequence[RuleState]) -> None:
        with self._write() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO rule_state (rule_id, doc) VALUES (?, ?)",
                [(state.rule_id, state.model_dump_json()) for state in states],
            )

    def list_rule_runs(self, rule_id: str | None = None) -> list[RuleRun]:
        sql = "SELECT rule_id, window_start, window_end, matches, finished_at FROM rule_runs"
        params: tuple[Any, ...] = ()
        if rule_id is not None:
            sql += " WHERE rule_id = ?"
            params = (rule_id,)
        rows = self._read(sql + " ORDER BY rule_id, window_start", params)
        return [
            RuleRun(
                rule_id=r[0], window_start=r[1], window_end=r[2], matches=r[3], finished_at=r[4]
            )
            for r in rows
        ]


def _event_row(event: Event, ingested: str) -> tuple[Any, ...]:
    fields = event.fields
    # A copy and two pops: a quarter of the cost of filtering every key in a comprehension.
    doc = dict(fields)
    for name in _DOC_EXCLUDED:
        doc.pop(name, None)
    return (
        event.id,
        fields["@timestamp"],
        ingested,
        fields.get("event.dataset"),
        fields.get("host.name"),
        fields.get("user.name"),
        fields.get("source.ip"),
        fields.get(ORIGINAL),
        dumps_utf8(doc),
    )


def _alert_row(alert: Alert) -> tuple[Any, ...]:
    return (
        alert.id,
        alert.rule_id,
        str(alert.severity),
        str(alert.status),
        alert.first_seen,
        alert.last_seen,
        alert.model_dump_json(),
        alert_search_text(alert),
    )


def alert_search_text(alert: Alert) -> str:
    """What the queue's free text searches, folded once when the alert is written: the rule's
    title and id and the snapshot's and grouping key's values."""
    values = [alert.rule_title, alert.rule_id]
    values += [str(v) for v in (*alert.snapshot.values(), *alert.group_key.values())]
    return fold("\x1f".join(values))


@dataclass(frozen=True, slots=True)
class _AlertOrder:
    keys: str  # the sort keys the page subquery selects besides ``id``
    by: str  # ORDER BY over those keys, unqualified


_SEVERITY_RANK = (
    "CASE severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2"
    " WHEN 'low' THEN 1 ELSE 0 END"
)
_ALERT_ORDER: dict[AlertSort, _AlertOrder] = {
    AlertSort.newest: _AlertOrder("last_seen", "last_seen DESC, id"),
    AlertSort.oldest: _AlertOrder("last_seen", "last_seen ASC, id"),
    AlertSort.severity: _AlertOrder(
        f"{_SEVERITY_RANK} AS rank, last_seen", "rank DESC, last_seen DESC, id"
    ),
    AlertSort.matches: _AlertOrder(
        "json_extract(doc, '$.count') AS hits, last_seen", "hits DESC, last_seen DESC, id"
    ),
}
# What free text searches (see alert_search_text); alerts stored before the search column
# existed are folded on the fly (slow, but only until they are rewritten).
_ALERT_TEXT = (
    "coalesce(search, cg_fold(coalesce(json_extract(doc, '$.rule_title'), '') || char(31)"
    " || rule_id || char(31) || coalesce(json_extract(doc, '$.snapshot'), '')))"
)


def _alert_where(query: AlertFilter, *, with_status: bool) -> tuple[str, list[Any]]:
    clauses = ["1=1"]
    params: list[Any] = []
    columns = [("severity", query.severity), ("rule_id", query.rule_id)]
    if with_status:
        columns.append(("status", query.status))
    for column, value in columns:
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(str(value))
    for attribute, name in ALERT_SNAPSHOT_FILTERS.items():
        value = getattr(query, attribute)
        if value is not None:
            # Must equal the expression of the alerts_host/user/source_ip indexes.
            clauses.append(f"json_extract(doc, '$.snapshot.\"{name}\"') = ?")
            params.append(value)
    if query.assignee is not None:
        clauses.append("json_extract(doc, '$.assignee') = ?")
        params.append(query.assignee)
    if query.since:
        clauses.append("last_seen >= ?")
        params.append(query.since)
    if query.until:
        clauses.append("last_seen < ?")
        params.append(query.until)
    if query.text:
        clauses.append(f"instr({_ALERT_TEXT}, ?) > 0")
        params.append(fold(query.text))
    return " AND ".join(clauses), params


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for index in range(0, len(items), size):
        yield items[index : index + size]


def _record_alert(conn: sqlite3.Connection, alert: Alert, event_ids: Sequence[str]) -> AlertWrite:
    """Create or merge one alert inside the caller's transaction."""
    row = conn.execute("SELECT doc FROM alerts WHERE id = ?", (alert.id,)).fetchone()
    created = row is None
    stored = alert if created else Alert.model_validate_json(row[0])
    conn.executemany(
        "INSERT OR IGNORE INTO alert_events (alert_id, event_id) VALUES (?, ?)",
        [(alert.id, event_id) for event_id in event_ids],
    )
    count = conn.execute(
        "SELECT count(*) FROM alert_events WHERE alert_id = ?", (alert.id,)
    ).fetchone()[0]
    merged = merge_alert(stored, alert, created, int(count))
    conn.execute(
        "INSERT OR REPLACE INTO alerts (id, rule_id, severity, status, first_seen,"
        " last_seen, doc, search) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        _alert_row(merged),
    )
    return AlertWrite(merged, created)
