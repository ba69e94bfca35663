"""The SQLite store's layout: tables, indexes, connection pragmas, and where a field lives.

Events are kept as a JSON document of flat ECS fields plus a few indexed columns for the keys
that queries and the UI filter on. Detection queries reference fields through
:func:`sql_field`, so the column layout is known in one place only.
"""

from __future__ import annotations

import re
import sqlite3

from canhgac.errors import StoreError
from canhgac.models import INGESTED, ORIGINAL
from canhgac.store.sqlite.functions import register_functions

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
    doc TEXT NOT NULL,
    -- Read from the document, never written: only its index below stores it (an older
    -- database gains it with ADDRESS_COLUMNS_MIGRATION, no table rewrite).
    destination_ip TEXT GENERATED ALWAYS AS (json_extract(doc, '$."destination.ip"')) VIRTUAL
);
CREATE INDEX IF NOT EXISTS events_ingested ON events(ingested, id);
-- Event search and entity pages (canhgac.store.sqlite.hunt) bound every query by a range of
-- ts and page newest first: without this index each of their queries read every event (1 M
-- events: 0.5-1.8 s a page, bench/bench_triage.py). It costs every write, as each index does
-- (about 8% of the ingest rate; bench/bench_sqlite_ingest.py); a SOC that cannot search what
-- it stored is worse off than one that stores a little slower. It ends in id, the pages'
-- order; events_ts, an older index on ts alone, did not.
DROP INDEX IF EXISTS events_ts;
CREATE INDEX IF NOT EXISTS events_by_ts ON events(ts, id);
-- NOCASE: Sigma compares strings case-insensitively; detection's logsource condition
-- (dataset = 'x' COLLATE NOCASE) seeks this index instead of scanning every event. It ends
-- in (ingested, id), the page order, so a page's keyset bound (ingested, id) > (?, ?) is a
-- seek too; events_dataset, its predecessor without id, made every page of a dataset's
-- window re-read that window's shared ingest stamp from its first row.
DROP INDEX IF EXISTS events_dataset;
CREATE INDEX IF NOT EXISTS events_by_dataset ON events(dataset COLLATE NOCASE, ingested, id);
CREATE INDEX IF NOT EXISTS events_host ON events(host, ts);
CREATE INDEX IF NOT EXISTS events_user ON events(user_name, ts);
-- The IP entity page and its address search (canhgac.store.sqlite.hunt, address_condition):
-- an address is compared ASCII-case-insensitively, as the search language's LIKE does, so the
-- index holds lower(address). Partial: most events name no destination. events_source_ip, its
-- case-sensitive predecessor, served no query (every source.ip condition ignores case).
DROP INDEX IF EXISTS events_source_ip;
CREATE INDEX IF NOT EXISTS events_by_source_ip
    ON events(lower(source_ip), ts) WHERE source_ip IS NOT NULL;

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
    -- rule severity x asset criticality (canhgac.assets.priority); NULL: recorded before
    -- priorities existed (added to older databases by SQLiteStore, with alerts_priority)
    priority INTEGER,
    -- before doc: a scan reads it without walking the document's overflow pages
    search TEXT,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_last_seen ON alerts(last_seen);
CREATE INDEX IF NOT EXISTS alerts_status ON alerts(status, last_seen);
CREATE INDEX IF NOT EXISTS alerts_rule ON alerts(rule_id, last_seen);
CREATE INDEX IF NOT EXISTS alerts_severity ON alerts(severity, last_seen);
-- The overview's open alerts per severity: counted from this index alone (100,000 alerts:
-- 8 ms a severity instead of 100 ms through the table).
CREATE INDEX IF NOT EXISTS alerts_severity_status ON alerts(severity, status);
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

-- Rules switched off or back on by a person (canhgac.store.sqlite.rule_switches). A database
-- made before it gains the table when opened: this script runs at every start.
CREATE TABLE IF NOT EXISTS rule_switches (
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


#: Added to an events table made before the column existed (SQLite adds a virtual column to
#: a table without rewriting it), then the index every database has.
ADDRESS_COLUMNS_MIGRATION = """
ALTER TABLE events ADD COLUMN destination_ip TEXT
    GENERATED ALWAYS AS (json_extract(doc, '$."destination.ip"')) VIRTUAL;
"""
ADDRESS_INDEXES = """
CREATE INDEX IF NOT EXISTS events_by_destination_ip
    ON events(lower(destination_ip), ts) WHERE destination_ip IS NOT NULL;
"""
#: ECS address field -> the column whose ``lower()`` is indexed (events_by_*_ip).
ADDRESS_COLUMNS: dict[str, str] = {"source.ip": "source_ip", "destination.ip": "destination_ip"}


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
    its own column. That text is the event's JSON document (raw UTF-8, see
    :func:`canhgac.text.dumps`), so a substring of the value that JSON does not escape is also a
    substring of it -- detection uses this for a cheap prefilter before :func:`sql_field`
    parses the document."""
    return None if name in COLUMNS else "doc"


def setup_connection(conn: sqlite3.Connection) -> None:
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
