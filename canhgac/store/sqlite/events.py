"""Events in the SQLite store: rows in, pages out (the ``events`` table of
:mod:`canhgac.store.sqlite.schema`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from operator import attrgetter
from typing import Any

from canhgac.models import INGESTED, ORIGINAL, TIMESTAMP, Event
from canhgac.store.base import (
    EventPage,
    IngestStamp,
    IngestStamps,
    RelatedQuery,
    stamps_of_newest,
)
from canhgac.store.sqlite import health_batches
from canhgac.store.sqlite.schema import ADDRESS_COLUMNS, sql_field
from canhgac.text import dumps_utf8, loads

#: :meth:`canhgac.store.sqlite.db.SQLiteDatabase.read`: SQL and parameters -> rows.
Read = Callable[[str, Sequence[Any]], list[Any]]

_FIELDS = attrgetter("fields")
# Kept in their own columns, not in the JSON document.
_DOC_EXCLUDED = {INGESTED, ORIGINAL}


def write(conn: sqlite3.Connection, events: Sequence[Event], ingested: str) -> int:
    """Insert events not stored yet inside the caller's transaction; how many were new."""
    rows = [_event_row(event, ingested) for event in events]
    (newest,) = conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()
    before = conn.total_changes
    # doc arrives as UTF-8 bytes (see _event_row); CAST makes it TEXT, which JSON
    # functions read as JSON text (a BLOB would be read as SQLite's binary JSONB).
    conn.executemany(
        "INSERT OR IGNORE INTO events (id, ts, ingested, dataset, host, user_name,"
        " source_ip, original, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS TEXT))",
        rows,
    )
    added = conn.total_changes - before
    stored = events if added == len(events) else _added(conn, events, newest)
    health_batches.record(conn, list(map(_FIELDS, stored)), ingested)
    return added


def _added(conn: sqlite3.Connection, events: Sequence[Event], newest: int) -> list[Event]:
    """The events of a write that were stored (not already there), in order: rows past
    ``newest``, the last ``seq`` before the write (new rows get larger ones)."""
    fresh = {row[0] for row in conn.execute("SELECT id FROM events WHERE seq > ?", (newest,))}
    added: list[Event] = []
    for event in events:
        if event.id in fresh:
            fresh.discard(event.id)  # an id twice in one write was stored once
            added.append(event)
    return added


def search(
    read: Read,
    query: Any,
    start: str,
    end: str,
    *,
    after: tuple[str, str] | None = None,
    limit: int = 1000,
) -> EventPage:
    """One page of events ingested in ``[start, end)`` matching the SQL condition ``query``.

    Keyset paging: a page after the first starts at the previous page's last key, so each
    page costs the same whatever its number (never a re-read of the window from its start)."""
    sql, params = _page_bounds(start, end, after)
    if query:
        sql += f" AND ({query})"
    sql += " ORDER BY ingested, id LIMIT ?"
    params.append(limit)
    rows = read(sql, params)
    events = [row_event(*row) for row in rows]
    last = (rows[-1][1], rows[-1][0]) if len(rows) == limit else None
    return EventPage(events, last)


def _page_bounds(start: str, end: str, after: tuple[str, str] | None) -> tuple[str, list[Any]]:
    """The SELECT and WHERE of a page: from the window's ``start``, or past the key ``after``.

    With ``after``, the key is the page's only lower bound: given ``ingested >= start`` as
    well, the planner seeks the index at ``start`` and filters the row value, reading the
    window from its start again on every page (index ``events_ingested`` and
    ``events_by_dataset`` end in ``(ingested, id)``, so the row value is a seek)."""
    select = "SELECT id, ingested, doc, original FROM events WHERE "
    if after is None or after[0] < start:  # a key before the window: the window bounds it
        return select + "ingested >= ? AND ingested < ?", [start, end]
    return select + "(ingested, id) > (?, ?) AND ingested < ?", [*after, end]


def stamps(read: Read, start: str, end: str, limit: int) -> IngestStamps:
    """The newest ``limit`` events' stamps from the columns alone (no document is read)."""
    rows = read(
        "SELECT dataset, ingested, ts FROM events WHERE ingested >= ? AND ingested < ?"
        " ORDER BY ingested DESC, id DESC LIMIT ?",
        (start, end, limit + 1),
    )
    found = [IngestStamp(dataset or "?", ingested, ts) for dataset, ingested, ts in rows]
    return stamps_of_newest(found[:limit], limit, complete=len(found) <= limit)


def related_condition(related: RelatedQuery) -> str:
    """The SQL condition of events related to an alert. Values come from log content, so they
    never become query syntax: each is a UTF-8 hex blob literal cast to text (no quoting to
    get wrong)."""
    ts = sql_field(TIMESTAMP)
    either = " OR ".join(_equals(name, value) for name, value in related.values.items())
    return (
        f"{ts} >= {_text_literal(related.start)} AND {ts} <= {_text_literal(related.end)}"
        f" AND ({either})"
    )


def _equals(name: str, value: str) -> str:
    column = ADDRESS_COLUMNS.get(name)
    if column is None:
        return f"{sql_field(name)} = {_text_literal(value)}"
    # An address compares as an address whatever the case of its hex digits (IPv6), and in
    # this form the lower(address) indexes answer it instead of a read of the whole range.
    return f"({column} IS NOT NULL AND lower({column}) = lower({_text_literal(value)}))"


def _text_literal(value: str) -> str:
    return f"CAST(X'{value.encode('utf-8', 'replace').hex()}' AS TEXT)"


def get(read: Read, ids: Sequence[str]) -> list[Event]:
    found: dict[str, Event] = {}
    for chunk in _chunks(list(ids), 500):
        marks = ",".join("?" * len(chunk))
        for row in read(
            f"SELECT id, ingested, doc, original FROM events WHERE id IN ({marks})", chunk
        ):
            found[row[0]] = row_event(*row)
    return [found[i] for i in ids if i in found]


def count(read: Read) -> int:
    return int(read("SELECT count(*) FROM events", ())[0][0])


def row_event(event_id: str, ingested: str, doc: str, original: str | None) -> Event:
    fields: dict[str, Any] = loads(doc)
    fields[INGESTED] = ingested
    if original is not None:
        fields[ORIGINAL] = original
    return Event(event_id, fields)


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


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for index in range(0, len(items), size):
        yield items[index : index + size]
