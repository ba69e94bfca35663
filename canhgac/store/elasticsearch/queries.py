"""Query DSL the store sends: detection windows and the alert queue (no client here)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from canhgac.errors import StoreError
from canhgac.models import ALERT_SNAPSHOT_FILTERS, AlertFilter, AlertSort
from canhgac.store.elasticsearch.documents import DERIVED
from canhgac.text import fold
from canhgac.timeutil import from_iso, to_iso

MAX_WINDOW = 10_000  # index.max_result_window
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NANOS_MAX = datetime(2262, 4, 11, tzinfo=UTC)  # date_nanos holds up to 2262-04-11T23:47Z


def ingested_nanos(text: str) -> int:
    """A canonical time as the nanosecond sort value of a ``date_nanos`` field."""
    return ((from_iso(text) - _EPOCH) // timedelta(microseconds=1)) * 1000


def ingested_range(start: str, end: str, after: str = "") -> dict[str, str]:
    """``[start, end)`` for a ``date_nanos`` range: empty means unbounded, and bounds are
    clamped to the range the type can hold (1970 to 2262), which ``event.ingested`` is in.

    ``after``, a page's resume key, raises the lower bound to itself when it is later than
    ``start`` (inclusive: events sharing its stamp are told apart by ``search_after``)."""
    lower = max((m for m in (_bound(start), _bound(after)) if m is not None), default=None)
    bounds: dict[str, str] = {}
    for op, moment in (("gte", lower), ("lt", _bound(end))):
        if moment is not None:
            bounds[op] = to_iso(min(max(moment, _EPOCH), _NANOS_MAX))
    return bounds


def _bound(text: str) -> datetime | None:
    if not text:
        return None
    try:
        return from_iso(text)
    except ValueError as exc:
        raise StoreError(f"search bound {text!r} is not an ISO 8601 time") from exc


def user_query(query: Any) -> dict[str, Any] | None:
    """The compiled detection query as a query DSL clause.

    Accepts a DSL clause (``{"bool": ...}``), a whole search body as pySigma's ``dsl_lucene``
    output gives it (``{"query": {...}}``), or a Lucene string (pySigma's default output),
    which becomes a ``query_string`` query. Empty means "every event".
    """
    if not query:
        return None
    if isinstance(query, str):
        return {"query_string": {"query": query}}
    if isinstance(query, Mapping):
        if set(query) == {"query"} and isinstance(query["query"], Mapping):
            return dict(query["query"])
        return dict(query)
    raise StoreError(
        f"an Elasticsearch query is a query DSL dict or a Lucene string, not {type(query).__name__}"
    )


# --- the alert queue --------------------------------------------------------------------------
def alert_query(query: AlertFilter, *, with_status: bool) -> dict[str, Any]:
    """The filter part of an :class:`AlertFilter` (the same conditions as the SQLite store)."""
    terms: list[tuple[str, Any]] = [
        ("severity", query.severity),
        ("rule_id", query.rule_id),
        ("assignee", query.assignee),
        ("tags", query.tag),
    ]
    if with_status:
        terms.append(("status", query.status))
    terms += [(f"{DERIVED}.{a}", getattr(query, a)) for a in ALERT_SNAPSHOT_FILTERS]
    filters: list[dict[str, Any]] = [
        {"term": {name: str(value)}} for name, value in terms if value is not None
    ]
    bounds = {op: v for op, v in (("gte", query.since), ("lt", query.until)) if v}
    if bounds:
        filters.append({"range": {"last_seen": bounds}})
    if query.text:
        pattern = f"*{_escape_wildcard(fold(query.text))}*"
        filters.append({"wildcard": {f"{DERIVED}.text": {"value": pattern}}})
    return {"bool": {"filter": filters}}


def _escape_wildcard(text: str) -> str:
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")


# Every order ends with id, so paging is stable.
ALERT_SORTS: dict[AlertSort, list[dict[str, Any]]] = {
    AlertSort.newest: [{"last_seen": "desc"}, {"id": "asc"}],
    AlertSort.oldest: [{"last_seen": "asc"}, {"id": "asc"}],
    AlertSort.severity: [
        {f"{DERIVED}.severity_rank": "desc"},
        {"last_seen": "desc"},
        {"id": "asc"},
    ],
    AlertSort.matches: [{"count": "desc"}, {"last_seen": "desc"}, {"id": "asc"}],
    # unmapped_type: an alerts index made before priorities sorts too (none has one).
    AlertSort.priority: [
        {"priority": {"order": "desc", "missing": "_last", "unmapped_type": "short"}},
        {"last_seen": "desc"},
        {"id": "asc"},
    ],
}
