"""Incidents in the Elasticsearch store: one document per incident in the incidents index.

Writes are conditional on the document's sequence number (``if_seq_no``), checked against the
incident's ``revision`` read with it, so a change based on a stale read is refused exactly as
SQLite's ``UPDATE ... WHERE revision = ?`` refuses it; creating uses ``op_type=create``, so an
id that exists is left alone. Every write refreshes, so the list shows it at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from canhgac.models import Severity
from canhgac.store.elasticsearch.client import ElasticsearchCalls
from canhgac.store.elasticsearch.documents import doc_id
from canhgac.store.elasticsearch.mappings import IndexNames
from canhgac.store.incidents import (
    Incident,
    IncidentFilter,
    IncidentSort,
    IncidentStatus,
    IncidentStore,
)

SEVERITY_RANK = {severity: rank for rank, severity in enumerate(Severity)}
DERIVED = "canhgac"
_SORTS: dict[IncidentSort, list[dict[str, str]]] = {
    IncidentSort.updated: [{"updated_at": "desc"}, {"id": "asc"}],
    IncidentSort.created: [{"created_at": "desc"}, {"id": "asc"}],
    IncidentSort.severity: [
        {f"{DERIVED}.severity_rank": "desc"},
        {"updated_at": "desc"},
        {"id": "asc"},
    ],
    IncidentSort.oldest: [{"created_at": "asc"}, {"id": "asc"}],
}
_TERMS_CHUNK = 1000


def _document(incident: Incident) -> dict[str, Any]:
    doc = incident.model_dump(mode="json")
    doc[DERIVED] = {"severity_rank": SEVERITY_RANK[incident.severity]}
    return doc


def _incident(source: dict[str, Any]) -> Incident:
    source = dict(source)
    source.pop(DERIVED, None)
    return Incident.model_validate(source)


def _chunks(values: Sequence[str]) -> list[list[str]]:
    unique = list(dict.fromkeys(values))
    return [unique[i : i + _TERMS_CHUNK] for i in range(0, len(unique), _TERMS_CHUNK)]


class ElasticsearchIncidents(IncidentStore):
    def __init__(self, es: ElasticsearchCalls, names: IndexNames) -> None:
        self._es = es
        self._index = names.incidents

    def create_incident(self, incident: Incident) -> bool:
        key = doc_id(incident.id)
        return self._es.put_versioned(self._index, key, _document(incident), None)

    def replace_incident(self, incident: Incident, expected_revision: int) -> bool:
        key = doc_id(incident.id)
        current = self._es.get(self._index, key)
        if current is None or current["_source"].get("revision") != expected_revision:
            return False
        return self._es.put_versioned(self._index, key, _document(incident), current)

    def get_incident(self, incident_id: str) -> Incident | None:
        found = self._es.get(self._index, doc_id(incident_id))
        return _incident(found["_source"]) if found is not None else None

    def list_incidents(self, query: IncidentFilter) -> list[Incident]:
        filters: list[dict[str, Any]] = []
        must_not: list[dict[str, Any]] = []
        if query.status is not None:
            filters.append({"term": {"status": query.status.value}})
        elif query.active:
            must_not.append({"term": {"status": IncidentStatus.closed.value}})
        if query.owner is not None:
            filters.append({"term": {"owner": query.owner}})
        if query.severity is not None:
            filters.append({"term": {"severity": query.severity.value}})
        hits = self._es.search(
            self._index,
            query={"bool": {"filter": filters, "must_not": must_not}},
            sort=_SORTS[query.sort],
            size=query.limit,
            from_=query.offset,
        )
        return [_incident(hit["_source"]) for hit in hits]

    def incidents_with_alerts(self, alert_ids: Sequence[str]) -> list[Incident]:
        return self._find([{"terms": {"alert_ids": chunk}} for chunk in _chunks(alert_ids)], [])

    def active_incidents_with_entities(self, entities: Sequence[str], since: str) -> list[Incident]:
        extra = [{"range": {"last_alert_at": {"gte": since}}}]
        not_closed = [{"term": {"status": IncidentStatus.closed.value}}]
        return self._find(
            [{"terms": {"entities": chunk}} for chunk in _chunks(entities)], extra, not_closed
        )

    def _find(
        self,
        alternatives: list[dict[str, Any]],
        filters: list[dict[str, Any]],
        must_not: list[dict[str, Any]] | None = None,
    ) -> list[Incident]:
        found: dict[str, Incident] = {}
        for alternative in alternatives:
            query = {"bool": {"filter": [alternative, *filters], "must_not": must_not or []}}
            for hit in self._es.scan(self._index, query, [{"id": "asc"}]):
                incident = _incident(hit["_source"])
                found[incident.id] = incident
        return [found[key] for key in sorted(found)]
