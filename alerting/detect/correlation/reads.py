"""Reading the events of a correlation's base rules, once per detection round.

Several correlations often count the same base rule (the pack's SSH failures feed five): in
one round each would page through the same matches again. A round first tells
:class:`SharedReads` what every correlation will read (:meth:`SharedReads.expect`); then each
(base query, window end) is fetched once, from the earliest start any reader needs, every
reader gets the events from its own start, and the events are dropped after their last
reader, so a round holds no more than the correlations read anyway.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from canhgac.models import INGESTED, Event
from canhgac.store.base import EventReader
from canhgac.timeutil import from_iso

# (the base rule's fetch key, the window's end)
ReadKey = tuple[str, str]


def fetch_events(
    store: EventReader, query: Any, start: str, end: str, page_size: int
) -> Iterator[Event]:
    """Every event ``query`` matches ingested in ``[start, end)``, page by page."""
    after: tuple[str, str] | None = None
    while True:
        page = store.search_events(query, start, end, after=after, limit=page_size)
        yield from page.events
        if page.after is None:
            return
        after = page.after


@dataclass(slots=True)
class _Planned:
    start: str
    readers: int = 0
    events: list[Event] | None = None


@dataclass(slots=True)
class SharedReads:
    """The base events of one round's correlations; without :meth:`expect`, every read is
    a plain fetch (one correlation run on its own, a backtest)."""

    store: EventReader
    page_size: int
    _planned: dict[ReadKey, _Planned] = field(default_factory=dict)

    def expect(self, fetch_key: str, start: str, end: str) -> None:
        """A correlation of this round will read ``fetch_key``'s events in ``[start, end)``."""
        planned = self._planned.setdefault((fetch_key, end), _Planned(start))
        planned.start = min(planned.start, start, key=from_iso)
        planned.readers += 1

    def events(self, fetch_key: str, query: Any, start: str, end: str) -> list[Event]:
        """The events ``query`` matches ingested in ``[start, end)``."""
        planned = self._planned.get((fetch_key, end))
        if planned is None:
            return list(fetch_events(self.store, query, start, end, self.page_size))
        if planned.events is None:
            planned.events = list(
                fetch_events(self.store, query, planned.start, end, self.page_size)
            )
        events = planned.events
        planned.readers -= 1
        if planned.readers <= 0:
            del self._planned[(fetch_key, end)]
        if start == planned.start:
            return events
        since = from_iso(start)
        return [event for event in events if _ingested_since(event, since)]


def _ingested_since(event: Event, since: datetime) -> bool:
    try:
        return from_iso(str(event.fields[INGESTED])) >= since
    except (KeyError, ValueError):
        return True  # unknown ingestion time: the store returned it for the range, keep it
