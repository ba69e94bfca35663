"""The alert page's timeline: events on the same host, of the same user or from the same
source IP (firewall and web alerts are keyed on it), ± 15 minutes.

The store answers it (:meth:`~canhgac.store.base.EventReader.related_events`), each in its own
query language and never turning the values, which come from log content, into query syntax.
The query itself bounds ``@timestamp``; the ingestion range only has to contain every event
that could qualify, so it runs from a day before the window (clock skew) to now (late
arrivals).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from canhgac.models import TIMESTAMP, Alert, Event
from canhgac.store.base import EventReader, RelatedQuery
from canhgac.timeutil import from_iso, to_iso

WINDOW = timedelta(minutes=15)
MAX_RELATED = 200
#: The fields that relate events to an alert, from its snapshot.
RELATING_FIELDS = ("host.name", "user.name", "source.ip")


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
    ingest_start = to_iso(from_iso(related.start) - timedelta(days=1))
    ingest_end = to_iso(max(now, from_iso(related.end)) + timedelta(days=1))
    found = store.related_events(related, ingest_start, ingest_end, MAX_RELATED + 1)
    events = sorted(found, key=lambda e: (str(e.fields.get(TIMESTAMP, "")), e.id))
    return events[:MAX_RELATED], len(found) > MAX_RELATED
