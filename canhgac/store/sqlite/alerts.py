"""Alerts in the SQLite store: the ``alerts`` table and its ``alert_events`` links.

An alert is one JSON document plus the columns the queue filters and sorts on; its free-text
search column is folded once, when the alert is written (:func:`alert_search_text`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from canhgac.models import ALERT_SNAPSHOT_FILTERS, Alert, AlertFilter, AlertSort, AlertStatus
from canhgac.store.base import AlertWrite, merge_alert
from canhgac.store.sqlite.events import Read
from canhgac.text import fold


def record(conn: sqlite3.Connection, alert: Alert, event_ids: Sequence[str]) -> AlertWrite:
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
        " last_seen, doc, search, priority) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        _alert_row(merged),
    )
    return AlertWrite(merged, created)


def page(read: Read, query: AlertFilter) -> list[Alert]:
    """Alerts matching ``query``, in its order, one page of them."""
    where, params = _alert_where(query, with_status=True)
    order = _ALERT_ORDER[query.sort]
    # Sort and page over (id, sort keys) only, then read that page's documents: sorting
    # whole documents of a large table would carry every document through the sorter.
    rows = read(
        f"SELECT id, {order.keys} FROM alerts WHERE {where} ORDER BY {order.by} LIMIT ? OFFSET ?",
        [*params, query.limit, query.offset],
    )
    ids = [row[0] for row in rows]
    marks = ",".join("?" * len(ids))
    docs = dict(read(f"SELECT id, doc FROM alerts WHERE id IN ({marks})", ids))
    return [Alert.model_validate_json(docs[i]) for i in ids if i in docs]


def scan(read: Read, query: AlertFilter, page_size: int = 1000) -> Iterator[Alert]:
    """Every alert matching ``query``, oldest first by (last_seen, id), a page at a time:
    each page starts past the previous page's last key, so none re-reads the ones before."""
    where, params = _alert_where(query, with_status=True)
    after: list[Any] = []
    while True:
        rows = read(
            f"SELECT id, last_seen, doc FROM alerts WHERE {where}"
            + (" AND (last_seen, id) > (?, ?)" if after else "")
            + " ORDER BY last_seen, id LIMIT ?",
            [*params, *after, page_size],
        )
        yield from (Alert.model_validate_json(row[2]) for row in rows)
        if len(rows) < page_size:
            return
        after = [rows[-1][1], rows[-1][0]]


def count_by_status(read: Read, query: AlertFilter) -> dict[AlertStatus, int]:
    where, params = _alert_where(query, with_status=False)
    if not params:
        # Unfiltered: GROUP BY walks the (status, last_seen) index without the table.
        rows = read("SELECT status, count(*) FROM alerts GROUP BY status", ())
        counts = dict.fromkeys(AlertStatus, 0)
        counts.update({AlertStatus(status): int(n) for status, n in rows})
        return counts
    # Filtered: one pass over the matching rows. GROUP BY would walk the status index and
    # look every row up in the table, several times slower for a scanning filter.
    statuses = list(AlertStatus)
    sums = ", ".join("sum(status = ?)" for _ in statuses)
    row = read(f"SELECT {sums} FROM alerts WHERE {where}", [*statuses, *params])[0]
    return {status: int(n or 0) for status, n in zip(statuses, row, strict=True)}


def update_triage(conn: sqlite3.Connection, alert: Alert) -> None:
    """Replace only the triage fields inside the caller's transaction: a concurrent
    :func:`record` may have merged new matches into the stored document since ``alert``
    was read."""
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
        alert.priority,
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
    # DESC puts NULL (no priority: older alerts) last, as Elasticsearch's missing: _last.
    AlertSort.priority: _AlertOrder("priority, last_seen", "priority DESC, last_seen DESC, id"),
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
    if query.tag is not None:
        clauses.append("EXISTS (SELECT 1 FROM json_each(doc, '$.tags') WHERE value = ?)")
        params.append(query.tag)
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
