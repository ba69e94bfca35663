"""Alerts in Elasticsearch: recorded in batches, merged by id under optimistic concurrency.

An alert document's id is the alert's deterministic id; each matched event is a link document
``(alert id, event id)`` created once, so an alert's ``count`` -- its distinct matched events --
is a count of its links, and recording the same matches again (a repeated window) changes
nothing. Concurrent writers of one alert (two detectors, the triage UI) write conditionally on
the version they read (``if_seq_no``/``if_primary_term``) and merge again on a conflict.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from canhgac.errors import StoreError, StoreUnavailableError
from canhgac.models import Alert, AlertFilter, AlertSort, AlertStatus
from canhgac.store.base import AlertWrite, merge_alert
from canhgac.store.elasticsearch.client import ElasticsearchCalls
from canhgac.store.elasticsearch.documents import alert_doc, alert_from_doc, doc_id
from canhgac.store.elasticsearch.mappings import IndexNames
from canhgac.store.elasticsearch.queries import ALERT_SORTS, MAX_WINDOW, alert_query

_CONFLICT_RETRIES = 20


class ElasticsearchAlerts:
    """The alert and alert-event indices of one store."""

    def __init__(self, calls: ElasticsearchCalls, names: IndexNames) -> None:
        self._es = calls
        self._client = calls.client
        self.names = names

    def record(self, alerts: Sequence[tuple[Alert, Sequence[str]]]) -> list[AlertWrite]:
        """Links of every alert in one bulk request; then every alert all of whose links were
        new -- most likely new itself -- created in a second one, with its links as its count,
        without reading it first (what a read finding nothing would do, with the absence
        checked at the write); the rest (already stored, or the guess met a 409) read, merged
        and written back one by one under optimistic concurrency."""
        if not alerts:
            return []
        links: list[tuple[str, Mapping[str, Any]]] = []
        owners: list[int] = []
        sizes: list[int] = []
        for position, (alert, event_ids) in enumerate(alerts):
            unique = list(dict.fromkeys(event_ids))
            sizes.append(len(unique))
            owners += [position] * len(unique)
            links += [(doc_id(alert.id, e), {"alert_id": alert.id, "event_id": e}) for e in unique]
        created_links = Counter(
            owners[k] for k in self._es.create_docs_result(self.names.alert_events, links, "true")
        )
        guessed = [p for p in range(len(alerts)) if created_links[p] == sizes[p]]
        merged = {p: merge_alert(alerts[p][0], alerts[p][0], True, sizes[p]) for p in guessed}
        new = self._es.create_docs_result(
            self.names.alerts,
            [(doc_id(merged[p].id), alert_doc(merged[p])) for p in guessed],
            "true",
        )
        writes = {guessed[k]: AlertWrite(merged[guessed[k]], True) for k in new}
        for position, (alert, _) in enumerate(alerts):
            if position not in writes:
                writes[position] = self._merge_alert(alert)
        return [writes[p] for p in range(len(alerts))]

    def _merge_alert(self, alert: Alert) -> AlertWrite:
        """Merge ``alert`` into the stored one (or create it), its links already stored."""
        for _ in range(_CONFLICT_RETRIES):
            current = self._es.get(self.names.alerts, doc_id(alert.id))
            # Counted after reading the alert: a concurrent writer that stored a newer alert
            # refreshed its links first, so this count is never older than what it replaces.
            count = self._es.count(self.names.alert_events, {"term": {"alert_id": alert.id}})
            stored = alert_from_doc(current["_source"]) if current else alert
            merged = merge_alert(stored, alert, current is None, count)
            if self._es.put_versioned(
                self.names.alerts, doc_id(alert.id), alert_doc(merged), current
            ):
                return AlertWrite(merged, current is None)
        raise _busy(alert.id)

    def get(self, alert_id: str) -> Alert | None:
        found = self._es.get(self.names.alerts, doc_id(alert_id))
        return alert_from_doc(found["_source"]) if found else None

    def search(self, query: AlertFilter) -> list[Alert]:
        if query.offset + query.limit > MAX_WINDOW:
            raise StoreError(f"alert listing goes at most {MAX_WINDOW} alerts deep")
        hits = self._es.search(
            self.names.alerts,
            query=alert_query(query, with_status=True),
            sort=ALERT_SORTS[query.sort],
            from_=query.offset,
            size=query.limit,
        )
        return [alert_from_doc(hit["_source"]) for hit in hits]

    def scan(self, query: AlertFilter) -> Iterator[Alert]:
        """Every alert matching ``query``, oldest first, with ``search_after`` (never
        ``from``): no :data:`MAX_WINDOW` limit, and each page costs the same."""
        hits = self._es.scan(
            self.names.alerts, alert_query(query, with_status=True), ALERT_SORTS[AlertSort.oldest]
        )
        return (alert_from_doc(hit["_source"]) for hit in hits)

    def count(self, query: AlertFilter) -> dict[AlertStatus, int]:
        response = self._es.call(
            f"count in {self.names.alerts}",
            lambda: self._client.search(
                index=self.names.alerts,
                query=alert_query(query, with_status=False),
                size=0,
                aggs={"status": {"terms": {"field": "status", "size": len(AlertStatus)}}},
                ignore_unavailable=True,
                allow_partial_search_results=False,
            ),
            all_shards=True,
        )
        counts = dict.fromkeys(AlertStatus, 0)
        for bucket in response.body.get("aggregations", {}).get("status", {}).get("buckets", []):
            counts[AlertStatus(bucket["key"])] = int(bucket["doc_count"])
        return counts

    def update(self, alert: Alert) -> None:
        # Only the triage fields: a concurrent record_alert may have merged new matches.
        triage = {
            "status": alert.status,
            "assignee": alert.assignee,
            "close_reason": alert.close_reason,
            "updated_at": alert.updated_at,
        }
        for _ in range(_CONFLICT_RETRIES):
            current = self._es.get(self.names.alerts, doc_id(alert.id))
            if current is None:
                return
            stored = alert_from_doc(current["_source"]).model_copy(update=triage)
            if self._es.put_versioned(
                self.names.alerts, doc_id(alert.id), alert_doc(stored), current
            ):
                return
        raise _busy(alert.id)

    def _put(self, alert: Alert, current: Mapping[str, Any] | None) -> bool:
        return self._es.put_versioned(
            self.names.alerts, doc_id(alert.id), alert_doc(alert), current
        )


def _busy(alert_id: str) -> StoreUnavailableError:
    return StoreUnavailableError(f"alert {alert_id!r} kept changing under concurrent writers")
