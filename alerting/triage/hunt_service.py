"""The event search behind the search page, its API and its exports.

Turns what the analyst typed (query text, a time range, a page cursor) into the store's
hunting searches (:mod:`canhgac.store.hunt`): the query parsed by :mod:`alerting.hunt.parser`
and compiled for the store's own language. A page is one store page; the exact count and the
histogram cover every hit; the field top-N is counted over the newest hits (how many is shown
beside it), which is what an analyst pivots on.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from alerting.hunt.compilers import HUNT_COMPILERS
from alerting.hunt.parser import parse
from alerting.hunt.syntax import Node, QuerySyntaxError
from canhgac.models import Event
from canhgac.store.hunt import EventHunt, HuntRequest
from canhgac.store.hunt_registry import event_hunt
from canhgac.timeutil import DISPLAY_ZONE, from_iso, to_iso

#: The fields the side panel counts values of.
TOP_FIELDS = (
    "event.dataset",
    "host.name",
    "user.name",
    "source.ip",
    "destination.ip",
    "event.action",
    "event.outcome",
)
#: How many of the newest hits the side panel counts.
TOP_SAMPLE = 2000
TOP_N = 5
#: Bucket widths for the histogram, the first giving at most :data:`MAX_BUCKETS` bars.
BUCKETS = (60, 300, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 7 * 86400)
MAX_BUCKETS = 60
EXPORT_PAGE = 1000
EARLIEST = datetime(1970, 1, 2, tzinfo=UTC)
LATEST = datetime(2262, 4, 1, tzinfo=UTC)
_FIELD = re.compile(r"[A-Za-z_@][A-Za-z0-9_@.\-]{0,100}")


class BadCursor(ValueError):
    """A page cursor that this service did not write."""


@dataclass(frozen=True, slots=True)
class TopValues:
    field: str
    values: list[tuple[str, int]]


@dataclass(frozen=True, slots=True)
class SearchResult:
    tree: Node
    events: list[Event]
    next_cursor: str | None
    total: int
    bucket_seconds: int
    histogram: list[tuple[str, int]]
    top: list[TopValues]
    #: How many hits the top values were counted over.
    top_sample: int


def encode_cursor(after: tuple[str, str] | None) -> str | None:
    if after is None:
        return None
    return base64.urlsafe_b64encode(json.dumps(list(after)).encode()).decode().rstrip("=")


def decode_cursor(text: str | None) -> tuple[str, str] | None:
    if not text:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise BadCursor("the page cursor is not one this search wrote") from exc
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
        raise BadCursor("the page cursor is not one this search wrote")
    return value[0], value[1]


def columns(text: str | None, default: Sequence[str]) -> list[str]:
    """The chosen result columns: field names only, at most 12, else the default ones."""
    chosen = [name.strip() for name in (text or "").split(",") if name.strip()]
    valid = [name for name in chosen if _FIELD.fullmatch(name)][:12]
    return valid or list(default)


def time_range(start: str, end: str, now: datetime) -> tuple[datetime, datetime]:
    """The form's ``from``/``to`` (Hanoi wall time, ``YYYY-MM-DDTHH:MM``, or ISO 8601 with a
    zone); the last 24 hours by default. Both stores hold times from 1970 to 2262 only."""
    try:
        until = _local(end) if end else now + timedelta(minutes=1)
        since = _local(start) if start else until - timedelta(hours=24)
    except (ValueError, OverflowError) as exc:
        raise QuerySyntaxError(f"not a time: {exc}", 0) from None
    for moment in (since, until):
        if not EARLIEST <= moment <= LATEST:
            raise QuerySyntaxError("times must be between 1970 and 2262", 0)
    return since, until


def _local(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=DISPLAY_ZONE) if moment.tzinfo is None else moment


def bucket_seconds(start: datetime, end: datetime) -> int:
    span = (end - start).total_seconds()
    return next((b for b in BUCKETS if span / b <= MAX_BUCKETS), BUCKETS[-1])


def field_text(event: Event, field: str) -> str:
    value = event.fields.get(field)
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


class HuntService:
    def __init__(self, store: Any) -> None:
        self.hunt: EventHunt = event_hunt(store)
        self.language: str = store.query_language

    def request(self, text: str, start: datetime, end: datetime) -> tuple[Node, HuntRequest]:
        """The parsed query and the store request; raises :class:`QuerySyntaxError`."""
        if end <= start:
            raise QuerySyntaxError("the time range ends before it starts", 0)
        tree = parse(text)
        compiled = HUNT_COMPILERS.get(self.language)(tree)
        return tree, HuntRequest(compiled, to_iso(start), to_iso(end))

    def search(
        self, text: str, start: datetime, end: datetime, cursor: str | None, limit: int
    ) -> SearchResult:
        tree, request = self.request(text, start, end)
        return self.run(tree, request, cursor, limit)

    def run(self, tree: Node, request: HuntRequest, cursor: str | None, limit: int) -> SearchResult:
        """One page of ``request`` (whose query is ``tree``, compiled or an equivalent)."""
        try:
            page = self.hunt.page(request, decode_cursor(cursor), limit)
        except BadCursor:
            raise
        except ValueError as exc:  # a cursor the store cannot read (its sort values)
            raise BadCursor(str(exc)) from None
        width = bucket_seconds(from_iso(request.start), from_iso(request.end))
        sample = self._sample(request, page.events if cursor is None else [])
        # Every hit is in one bucket (same query, same range): the histogram is the count, so
        # the store reads the range once less.
        histogram = list(self.hunt.histogram(request, width))
        return SearchResult(
            tree=tree,
            events=page.events,
            next_cursor=encode_cursor(page.after),
            total=sum(hits for _, hits in histogram),
            bucket_seconds=width,
            histogram=histogram,
            top=top_values(sample),
            top_sample=len(sample),
        )

    def _sample(self, request: HuntRequest, first: list[Event]) -> list[Event]:
        if len(first) >= TOP_SAMPLE:
            return first[:TOP_SAMPLE]
        return list(self.hunt.page(request, None, TOP_SAMPLE).events)

    def every_event(self, text: str, start: datetime, end: datetime) -> Iterator[Event]:
        """Every hit, newest first, page after page (the exports)."""
        _, request = self.request(text, start, end)
        after = None
        while True:
            page = self.hunt.page(request, after, EXPORT_PAGE)
            yield from page.events
            if page.after is None:
                return
            after = page.after


def top_values(events: Sequence[Event], fields: Sequence[str] = TOP_FIELDS) -> list[TopValues]:
    tops: list[TopValues] = []
    for field in fields:
        counts = Counter(text for text in (field_text(e, field) for e in events) if text)
        if counts:
            tops.append(TopValues(field, counts.most_common(TOP_N)))
    return tops


def histogram_edges(start: datetime, end: datetime, width: int) -> list[datetime]:
    """Every bucket start in ``[start, end)``, epoch-aligned like the stores' buckets."""
    epoch = int(start.timestamp()) // width * width
    first = start - timedelta(seconds=start.timestamp() - epoch)
    edges: list[datetime] = []
    moment = first
    while moment < end and len(edges) <= MAX_BUCKETS + 2:
        edges.append(moment)
        moment += timedelta(seconds=width)
    return edges
