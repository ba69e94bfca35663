"""The embedded store: one SQLite database file in WAL mode.

The layout is in :mod:`canhgac.store.sqlite.schema` (detection reads fields through
:func:`~canhgac.store.sqlite.schema.sql_field`, so the column layout is known in one place);
events, dead letters, alerts and leases are parts this class delegates to, each a module of
plain functions over a connection.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from canhgac.dead_letters import DeadLetterPage, DeadLetterQuery
from canhgac.errors import StoreError
from canhgac.models import (
    Alert,
    AlertFilter,
    AlertStatus,
    DeadLetter,
    Event,
    Notification,
    RuleRun,
    RuleState,
    RuleSwitch,
)
from canhgac.store.base import (
    AlertWrite,
    Dialect,
    EventPage,
    EventSearch,
    IngestStamps,
    RelatedQuery,
    Store,
)
from canhgac.store.sqlite import alerts as sqlite_alerts
from canhgac.store.sqlite import dead_letters as sqlite_dead_letters
from canhgac.store.sqlite import events as sqlite_events
from canhgac.store.sqlite import ingest_clock, needle_scan, shared_scan
from canhgac.store.sqlite import leases as sqlite_leases
from canhgac.store.sqlite import rule_switches as sqlite_rule_switches
from canhgac.store.sqlite.alert_stats import SQLiteAlertStats
from canhgac.store.sqlite.db import SQLiteDatabase
from canhgac.store.sqlite.dialect import SQLITE
from canhgac.store.sqlite.health import SQLiteHealth, check_integrity
from canhgac.store.sqlite.incidents import INCIDENT_SCHEMA, SQLiteIncidents
from canhgac.store.sqlite.rule_query import datasets_of
from canhgac.store.sqlite.schema import (
    ADDRESS_COLUMNS_MIGRATION,
    ADDRESS_INDEXES,
    SCHEMA,
    setup_connection,
)
from canhgac.timeutil import now_iso

# Queries whose plan is remembered (rule queries: a pack's worth, with room for reloads).
WHOLE_WINDOW_CACHE = 10_000


class SQLiteStore(Store):
    """The embedded store. Safe to share between threads: each thread gets its own
    connection, and writes are serialized by a lock (SQLite allows one writer anyway)."""

    query_language: ClassVar[str] = "sqlite"
    dialect: ClassVar[Dialect] = SQLITE

    def __init__(
        self,
        path: str | Path,
        *,
        synchronous: str = "FULL",
        search_threads: int | None = None,
        now: Callable[[], str] = now_iso,
    ) -> None:
        self._db = SQLiteDatabase(path, synchronous=synchronous, setup=setup_connection)
        self.path = self._db.path
        self._write = self._db.write
        self._read = self._db.read
        self._last_ingested = ""
        self._now = now  # the clock event.ingested is read from (a seam for tests)
        # A tick's searches run on this many threads, each with its own connection: SQLite
        # reads run in parallel under WAL, and sqlite3 releases the GIL while a query steps.
        self._search_threads = search_threads or min(4, os.cpu_count() or 1)
        self._search_pool: ThreadPoolExecutor | None = None
        # Rule query -> whether it reads its whole window (asked of SQLite once per query).
        self._whole_window: dict[str, bool] = {}
        self._pool_lock = threading.Lock()
        with self._db.write_lock:
            check_integrity(self._db)
            self._db.executescript(SCHEMA)
            self._add_event_columns()
            self._add_alert_columns()
            self._db.executescript(INCIDENT_SCHEMA)
            self._db.executescript(ingest_clock.INGEST_CLOCK_SCHEMA)
        self._health = SQLiteHealth(self._db)
        self._incidents = SQLiteIncidents(self._db)

    def health(self) -> SQLiteHealth:
        return self._health

    def alert_stats(self) -> SQLiteAlertStats:
        return SQLiteAlertStats(self._db)

    def incidents(self) -> SQLiteIncidents:
        return self._incidents

    def _add_event_columns(self) -> None:
        # Databases made before the IP entity page's indexes: SQLite adds a virtual column
        # without rewriting the table; the first open then builds the index (one read of
        # the events, about 10 s a million).
        columns = {row[1] for row in self._read("PRAGMA table_xinfo(events)")}
        if "destination_ip" not in columns:
            self._db.executescript(ADDRESS_COLUMNS_MIGRATION)
        self._db.executescript(ADDRESS_INDEXES)

    def _add_alert_columns(self) -> None:
        # Databases made before the queue's free-text search lack the column; their alerts
        # keep a NULL there, which _ALERT_TEXT answers by folding the document on the fly.
        columns = {row[1] for row in self._read("PRAGMA table_info(alerts)")}
        if "search" not in columns:
            self._db.executescript("ALTER TABLE alerts ADD COLUMN search TEXT")
        # Databases made before alert priorities: their alerts have none (sorted last).
        if "priority" not in columns:
            self._db.executescript("ALTER TABLE alerts ADD COLUMN priority INTEGER")
        self._db.executescript(
            "CREATE INDEX IF NOT EXISTS alerts_priority ON alerts(priority, last_seen)"
        )

    # --- leases (canhgac.store.sqlite.leases) -------------------------------------------------
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
            ingested = ingest_clock.stamp(conn, self._ingested_now())
            return sqlite_events.write(conn, events, ingested)

    def settled_before(self) -> str:
        # Taking the write lock is the point: see canhgac.store.sqlite.ingest_clock.
        with self._write() as conn:
            return ingest_clock.settle(conn, self._ingested_now())

    def search_events(
        self,
        query: Any,
        start: str,
        end: str,
        *,
        after: tuple[str, str] | None = None,
        limit: int = 1000,
    ) -> EventPage:
        return sqlite_events.search(self._read, query, start, end, after=after, limit=limit)

    def search_events_batch(self, searches: Sequence[EventSearch]) -> list[EventPage | StoreError]:
        """One page per search. The first pages of searches that would each read their whole
        window come from one shared pass (:mod:`canhgac.store.sqlite.shared_scan`); the
        others run one by one, on the search threads when there are several."""
        jobs = [
            (group, partial(self._first_pages, [searches[i] for i in group], datasets))
            for group, datasets in self._shared_passes(searches)
        ]
        shared = {i for group, _ in jobs for i in group}
        one_by_one = super().search_events_batch  # (super() does not work in a comprehension)
        jobs += [
            ([i], partial(one_by_one, [search]))
            for i, search in enumerate(searches)
            if i not in shared
        ]
        pages: list[EventPage | StoreError | None] = [None] * len(searches)
        for (group, _), answered in zip(
            jobs, self._run_jobs([job for _, job in jobs]), strict=True
        ):
            for i, page in zip(group, answered, strict=True):
                pages[i] = page
        return [page for page in pages if page is not None]

    def _run_jobs(
        self, jobs: Sequence[Callable[[], list[EventPage | StoreError]]]
    ) -> list[list[EventPage | StoreError]]:
        if len(jobs) < 2 or self._search_threads < 2:
            return [job() for job in jobs]
        with self._pool_lock:
            if self._search_pool is None:
                self._search_pool = ThreadPoolExecutor(
                    self._search_threads, thread_name_prefix="sqlite-search"
                )
            pool = self._search_pool
        futures = [pool.submit(job) for job in jobs]
        return [future.result() for future in futures]

    def _shared_passes(
        self, searches: Sequence[EventSearch]
    ) -> list[tuple[list[int], shared_scan.Datasets]]:
        """Groups (two or more) of first-page searches over one window that each read the
        whole window, or each the rows of the same datasets; with those datasets."""
        groups: dict[tuple[str, str, shared_scan.Datasets], list[int]] = {}
        for i, search in enumerate(searches):
            if search.after is not None:
                continue
            datasets = datasets_of(search.query)
            if datasets is None and not self._reads_whole_window(search.query):
                continue
            groups.setdefault((search.start, search.end, datasets), []).append(i)
        return [(group, key[2]) for key, group in groups.items() if len(group) > 1]

    def _reads_whole_window(self, query: Any) -> bool:
        if not isinstance(query, str) or not query:
            return False
        known = self._whole_window.get(query)
        if known is None:
            known = shared_scan.reads_whole_window(self._execute, query)
            if len(self._whole_window) < WHOLE_WINDOW_CACHE:
                self._whole_window[query] = known
        return known

    def _first_pages(
        self, searches: Sequence[EventSearch], datasets: shared_scan.Datasets
    ) -> list[EventPage | StoreError]:
        # Few needles: SQLite tests each on every row faster than the automaton reads the
        # rows; many: the automaton's one read wins (needle_scan.worth_it, measured there).
        scan = needle_scan if needle_scan.worth_it(searches) else shared_scan
        try:
            return list(scan.first_pages(self._execute, searches, datasets))
        except StoreError:  # one of them fails: each on its own, to report its own error
            return super().search_events_batch(searches)

    def _execute(self, sql: str, params: Sequence[Any]) -> sqlite3.Cursor:
        return self._db.conn().execute(sql, params)

    def ingest_stamps(self, start: str, end: str, limit: int) -> IngestStamps:
        return sqlite_events.stamps(self._read, start, end, limit)

    def get_events(self, ids: Sequence[str]) -> list[Event]:
        return sqlite_events.get(self._read, ids)

    def related_events(
        self, related: RelatedQuery, ingested_start: str, ingested_end: str, limit: int
    ) -> list[Event]:
        condition = sqlite_events.related_condition(related)
        return sqlite_events.search(
            self._read, condition, ingested_start, ingested_end, limit=limit
        ).events

    def count_events(self) -> int:
        return sqlite_events.count(self._read)

    # --- dead letters --------------------------------------------------------------------------
    def write_dead_letters(self, letters: Sequence[DeadLetter]) -> int:
        if not letters:
            return 0
        with self._write() as conn:
            return sqlite_dead_letters.write(conn, letters)

    def list_dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        return sqlite_dead_letters.newest(self._read, limit)

    def count_dead_letters(self) -> int:
        return sqlite_dead_letters.count(self._read)

    def find_dead_letters(self, query: DeadLetterQuery) -> DeadLetterPage:
        return sqlite_dead_letters.find(self._read, query)

    def replace_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        with self._write() as conn:
            sqlite_dead_letters.replace(conn, letters)

    def delete_dead_letters(self, ids: Sequence[str]) -> int:
        with self._write() as conn:
            return sqlite_dead_letters.delete(conn, ids)

    # --- alerts --------------------------------------------------------------------------------
    def record_alert(self, alert: Alert, event_ids: Sequence[str]) -> AlertWrite:
        return self.record_alerts([(alert, event_ids)])[0]

    def record_alerts(self, alerts: Sequence[tuple[Alert, Sequence[str]]]) -> list[AlertWrite]:
        # One transaction for the whole batch: one commit (one fsync) per detection tick.
        with self._write() as conn:
            return [sqlite_alerts.record(conn, alert, event_ids) for alert, event_ids in alerts]

    def get_alert(self, alert_id: str) -> Alert | None:
        rows = self._read("SELECT doc FROM alerts WHERE id = ?", (alert_id,))
        return Alert.model_validate_json(rows[0][0]) if rows else None

    def list_alerts(self, query: AlertFilter) -> list[Alert]:
        return sqlite_alerts.page(self._read, query)

    def scan_alerts(self, query: AlertFilter) -> Iterator[Alert]:
        return sqlite_alerts.scan(self._read, query)

    def count_alerts(self, query: AlertFilter) -> dict[AlertStatus, int]:
        return sqlite_alerts.count_by_status(self._read, query)

    def update_alert(self, alert: Alert) -> None:
        with self._write() as conn:
            sqlite_alerts.update_triage(conn, alert)

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
            f"SELECT {_NOTIFICATION_COLUMNS} FROM notifications WHERE status = 'pending'"
            " ORDER BY updated_at LIMIT ?",
            (limit,),
        )
        return [_notification(row) for row in rows]

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
            f"SELECT {_NOTIFICATION_COLUMNS} FROM notifications WHERE alert_id = ?"
            " ORDER BY channel",
            (alert_id,),
        )
        return [_notification(row) for row in rows]

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

    # --- rule switches (canhgac.store.sqlite.rule_switches) ------------------------------------
    def save_rule_switch(self, switch: RuleSwitch) -> None:
        with self._write() as conn:
            sqlite_rule_switches.save(conn, switch)

    def get_rule_switches(self, rule_ids: Sequence[str]) -> dict[str, RuleSwitch]:
        return sqlite_rule_switches.get(self._db, rule_ids)


_NOTIFICATION_COLUMNS = "alert_id, channel, status, attempts, last_error, updated_at"


def _notification(row: Sequence[Any]) -> Notification:
    alert_id, channel, status, attempts, last_error, updated_at = row
    return Notification(
        alert_id=alert_id,
        channel=channel,
        status=status,
        attempts=attempts,
        last_error=last_error,
        updated_at=updated_at,
    )
