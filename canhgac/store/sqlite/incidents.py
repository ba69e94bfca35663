"""Incidents in the SQLite store: one row per incident (the document plus the columns the list
filters and sorts on) and two link tables, alert -> incident and entity -> incident, that
answer "which incidents hold this alert" and automatic grouping's candidates by index.

The tables are created with ``IF NOT EXISTS`` when the store opens, like the rest of the
schema, so a database made before incidents existed gains them on its next start.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from canhgac.models import Severity
from canhgac.store.incidents import (
    Incident,
    IncidentFilter,
    IncidentSort,
    IncidentStatus,
    IncidentStore,
)
from canhgac.store.sqlite.db import SQLiteDatabase
from canhgac.text import dumps

INCIDENT_SCHEMA = """
CREATE TABLE IF NOT EXISTS incidents (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    owner TEXT,
    severity_rank INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_alert_at TEXT,
    revision INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS incidents_updated ON incidents(updated_at);
CREATE INDEX IF NOT EXISTS incidents_status ON incidents(status, updated_at);

CREATE TABLE IF NOT EXISTS incident_alerts (
    alert_id TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    PRIMARY KEY (alert_id, incident_id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS incident_entities (
    entity TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    PRIMARY KEY (entity, incident_id)
) WITHOUT ROWID;
"""

SEVERITY_RANK = {severity: rank for rank, severity in enumerate(Severity)}
# sort -> ORDER BY; fixed text, never built from input.
_ORDER: dict[IncidentSort, str] = {
    IncidentSort.updated: "updated_at DESC, id",
    IncidentSort.created: "created_at DESC, id",
    IncidentSort.severity: "severity_rank DESC, updated_at DESC, id",
    IncidentSort.oldest: "created_at, id",
}
_MAX_PARAMS = 500


def _row(incident: Incident) -> tuple[object, ...]:
    return (
        incident.status.value,
        incident.owner,
        SEVERITY_RANK[incident.severity],
        incident.created_at,
        incident.updated_at,
        incident.last_alert_at,
        incident.revision,
        dumps(incident.model_dump(mode="json")),
        incident.id,
    )


def _write_links(conn: sqlite3.Connection, incident: Incident) -> None:
    conn.execute("DELETE FROM incident_alerts WHERE incident_id = ?", (incident.id,))
    conn.execute("DELETE FROM incident_entities WHERE incident_id = ?", (incident.id,))
    conn.executemany(
        "INSERT OR IGNORE INTO incident_alerts (alert_id, incident_id) VALUES (?, ?)",
        [(alert_id, incident.id) for alert_id in incident.alert_ids],
    )
    conn.executemany(
        "INSERT OR IGNORE INTO incident_entities (entity, incident_id) VALUES (?, ?)",
        [(entity, incident.id) for entity in incident.entities],
    )


def _chunks(values: Sequence[str]) -> list[Sequence[str]]:
    unique = list(dict.fromkeys(values))
    return [unique[i : i + _MAX_PARAMS] for i in range(0, len(unique), _MAX_PARAMS)]


class SQLiteIncidents(IncidentStore):
    def __init__(self, db: SQLiteDatabase) -> None:
        self._db = db

    def create_incident(self, incident: Incident) -> bool:
        with self._db.write() as conn:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO incidents (status, owner, severity_rank, created_at,"
                " updated_at, last_alert_at, revision, doc, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                _row(incident),
            )
            if cursor.rowcount != 1:
                return False
            _write_links(conn, incident)
            return True

    def replace_incident(self, incident: Incident, expected_revision: int) -> bool:
        with self._db.write() as conn:
            cursor = conn.execute(
                "UPDATE incidents SET status = ?, owner = ?, severity_rank = ?, created_at = ?,"
                " updated_at = ?, last_alert_at = ?, revision = ?, doc = ?"
                " WHERE id = ? AND revision = ?",
                (*_row(incident), expected_revision),
            )
            if cursor.rowcount != 1:
                return False
            _write_links(conn, incident)
            return True

    def get_incident(self, incident_id: str) -> Incident | None:
        rows = self._db.read("SELECT doc FROM incidents WHERE id = ?", (incident_id,))
        return Incident.model_validate_json(rows[0][0]) if rows else None

    def list_incidents(self, query: IncidentFilter) -> list[Incident]:
        where: list[str] = []
        params: list[object] = []
        if query.status is not None:
            where.append("status = ?")
            params.append(query.status.value)
        elif query.active:
            where.append("status != ?")
            params.append(IncidentStatus.closed.value)
        if query.owner is not None:
            where.append("owner = ?")
            params.append(query.owner)
        if query.severity is not None:
            where.append("severity_rank = ?")
            params.append(SEVERITY_RANK[query.severity])
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        rows = self._db.read(
            f"SELECT doc FROM incidents{clause} ORDER BY {_ORDER[query.sort]} LIMIT ? OFFSET ?",
            [*params, query.limit, query.offset],
        )
        return [Incident.model_validate_json(doc) for (doc,) in rows]

    def incidents_with_alerts(self, alert_ids: Sequence[str]) -> list[Incident]:
        found: dict[str, Incident] = {}
        for chunk in _chunks(alert_ids):
            marks = ", ".join("?" for _ in chunk)
            rows = self._db.read(
                "SELECT i.id, i.doc FROM incidents i WHERE i.id IN (SELECT incident_id FROM"
                f" incident_alerts WHERE alert_id IN ({marks}))",
                list(chunk),
            )
            found.update({ident: Incident.model_validate_json(doc) for ident, doc in rows})
        return [found[key] for key in sorted(found)]

    def active_incidents_with_entities(self, entities: Sequence[str], since: str) -> list[Incident]:
        found: dict[str, Incident] = {}
        for chunk in _chunks(entities):
            marks = ", ".join("?" for _ in chunk)
            rows = self._db.read(
                "SELECT i.id, i.doc FROM incidents i WHERE i.id IN (SELECT incident_id FROM"
                f" incident_entities WHERE entity IN ({marks}))"
                " AND i.status != ? AND i.last_alert_at >= ?",
                [*chunk, IncidentStatus.closed.value, since],
            )
            found.update({ident: Incident.model_validate_json(doc) for ident, doc in rows})
        return [found[key] for key in sorted(found)]
