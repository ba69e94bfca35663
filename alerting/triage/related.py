"""The alert page's timeline: events on the same host or of the same user, ± 15 minutes.

The Store ABC has no "related events" query, but it runs a query compiled for its own
:attr:`~canhgac.store.base.Store.query_language` over an ingestion-time range, exactly as
detection does. So this module builds that query per store language (a registry with a
completeness test) and :func:`related_events` searches with it. The query itself bounds
``@timestamp``; the ingestion range only has to contain every event that could qualify, so
it runs from a day before the window (clock skew) to now (late arrivals).

Values come from log content, so they never become query syntax: SQLite gets them as UTF-8
hex blob literals cast to text (no quoting to get wrong), Elasticsearch as ``term`` values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from canhgac.models import TIMESTAMP, Alert, Event
from canhgac.store.base import EventReader
from canhgac.store.sqlite.schema import sql_field
from canhgac.timeutil import from_iso, to_iso

WINDOW = timedelta(minutes=15)
MAX_RELATED = 200
#: The fields that relate events to an alert, from its snapshot.
RELATING_FIELDS = ("host.name", "user.name")


@dataclass(frozen=True, slots=True)
class RelatedQuery:
    start: str  # @timestamp bounds, inclusive
    end: str
    values: Mapping[str, str]  # field -> value; an event matching any one is related


def _sqlite_text(value: str) -> str:
    return f"CAST(X'{value.encode('utf-8', 'replace').hex()}' AS TEXT)"


def sqlite_query(related: RelatedQuery) -> str:
    ts = sql_field(TIMESTAMP)
    either = " OR ".join(
        f"{sql_field(name)} = {_sqlite_text(value)}" for name, value in related.values.items()
    )
    return (
        f"{ts} >= {_sqlite_text(related.start)} AND {ts} <= {_sqlite_text(related.end)}"
        f" AND ({either})"
    )


def elasticsearch_query(related: RelatedQuery) -> dict[str, Any]:
    return {
        "bool": {
            "filter": [{"range": {TIMESTAMP: {"gte": related.start, "lte": related.end}}}],
            "should": [{"term": {name: value}} for name, value in related.values.items()],
            "minimum_should_match": 1,
        }
    }


#: EventReader query language -> the builder of a related-events query in that language.
RELATED_QUERIES: dict[str, Callable[[RelatedQuery], Any]] = {
    "sqlite": sqlite_query,
    "elasticsearch": elasticsearch_query,
}


def related_query(alert: Alert) -> RelatedQuery | None:
    values = {
        name: str(alert.snapshot[name])
        for name in RELATING_FIELDS
        if isinstance(alert.snapshot.get(name), str | int) and str(alert.snapshot[name])
    }
    if not values:
        return None
    start = from_iso(alert.first_seen) - WINDOW
    end = from_iso(alert.last_seen) + WINDOW
    return RelatedQuery(to_iso(start), to_iso(end), values)


def related_events(store: EventReader, alert: Alert, now: datetime) -> tuple[list[Event], bool]:
    """Events related to ``alert`` by ``@timestamp``, and whether there were more than shown."""
    related = related_query(alert)
    if related is None:
        return [], False
    query = RELATED_QUERIES[store.query_language](related)
    ingest_start = to_iso(from_iso(related.start) - timedelta(days=1))
    ingest_end = to_iso(max(now, from_iso(related.end)) + timedelta(days=1))
    page = store.search_events(query, ingest_start, ingest_end, limit=MAX_RELATED + 1)
    events = sorted(page.events, key=lambda e: (str(e.fields.get(TIMESTAMP, "")), e.id))
    return events[:MAX_RELATED], len(page.events) > MAX_RELATED
