"""Event searches in the Elasticsearch store: one page of a window, and a tick's pages in
``_msearch`` requests (which the node runs concurrently)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from canhgac.errors import StoreError, StoreUnavailableError
from canhgac.models import DATASET, INGESTED, TIMESTAMP
from canhgac.store.base import EventPage, EventSearch, IngestStamp, RelatedQuery
from canhgac.store.elasticsearch.bulk import describe
from canhgac.store.elasticsearch.client import ElasticsearchCalls
from canhgac.store.elasticsearch.documents import hit_event
from canhgac.store.elasticsearch.errors import is_retryable
from canhgac.store.elasticsearch.mappings import EVENT_ID_FIELD
from canhgac.store.elasticsearch.queries import (
    MAX_WINDOW,
    ingested_nanos,
    ingested_range,
    user_query,
)

# Searches per _msearch request: one tick's rules usually fit in one.
MSEARCH_MAX = 200


def related_query(related: RelatedQuery) -> dict[str, Any]:
    """The query of events related to an alert; values from log content are ``term`` values,
    never query syntax."""
    return {
        "bool": {
            "filter": [{"range": {TIMESTAMP: {"gte": related.start, "lte": related.end}}}],
            "should": [{"term": {name: value}} for name, value in related.values.items()],
            "minimum_should_match": 1,
        }
    }


def msearch(
    es: ElasticsearchCalls, index: str, searches: Sequence[EventSearch]
) -> list[EventPage | StoreError]:
    """One ``_msearch`` request: a page, or the error that search alone met, per search."""
    header = {
        "index": index,
        "ignore_unavailable": True,
        "allow_no_indices": True,
        "allow_partial_search_results": False,
    }
    bodies = [event_search(search) for search in searches]
    lines: list[Mapping[str, Any]] = []
    for body in bodies:
        lines += [header, {**body, "track_total_hits": False}]
    response = es.call(f"search in {index}", lambda: es.client.msearch(searches=lines))
    answers: list[Mapping[str, Any]] = response.body["responses"]
    if len(answers) != len(bodies):
        raise StoreError(f"_msearch answered {len(answers)} of {len(bodies)} searches")
    return [
        _msearch_page(answer, body["size"]) for answer, body in zip(answers, bodies, strict=True)
    ]


def event_search(search: EventSearch) -> dict[str, Any]:
    """The search body of one page of a rule's window, oldest first.

    Keyset paging, never ``from``: a page after the first resumes with ``search_after`` at the
    previous page's last (``event.ingested``, id), the id making the key unique; its
    ``event.ingested`` also raises the range's lower bound, so the node skips the pages
    before it instead of collecting the window from its start again."""
    resume = search.after[0] if search.after is not None else ""
    clauses: list[dict[str, Any]] = [
        {"range": {INGESTED: ingested_range(search.start, search.end, resume)}}
    ]
    compiled = user_query(search.query)
    body: dict[str, Any] = {
        "query": {"bool": {"filter": clauses, "must": [compiled] if compiled else []}},
        "sort": [{INGESTED: "asc"}, {EVENT_ID_FIELD: "asc"}],
        "size": min(search.limit, MAX_WINDOW),
    }
    if search.after is not None:
        body["search_after"] = [ingested_nanos(search.after[0]), search.after[1]]
    return body


def event_page(hits: Sequence[Mapping[str, Any]], size: int) -> EventPage:
    events = [hit_event(hit) for hit in hits]
    last = (events[-1].fields[INGESTED], events[-1].id) if len(events) == size else None
    return EventPage(events, last)


def _msearch_page(answer: Mapping[str, Any], size: int) -> EventPage | StoreError:
    """One ``_msearch`` answer as a page, or as the error the search alone met."""
    status = int(answer.get("status", 200))
    if "error" in answer:
        reason = f"Elasticsearch search failed ({status}): {describe(answer['error'])}"
        if is_retryable(status):
            return StoreUnavailableError(reason)
        return StoreError(reason)
    shards = answer.get("_shards", {})
    if shards.get("failed") or shards.get("successful", 0) < shards.get("total", 0):
        return StoreUnavailableError(f"Elasticsearch search: not all shards answered: {shards}")
    return event_page(answer["hits"]["hits"], size)


def stamp_of(source: Mapping[str, Any]) -> IngestStamp:
    """The stamps of a hit whose ``_source`` was cut to them (see ``ingest_stamps``)."""
    timestamp = source.get(TIMESTAMP)
    return IngestStamp(
        str(source.get(DATASET) or "?"),
        str(source.get(INGESTED, "")),
        str(timestamp) if timestamp is not None else None,
    )


def stamps_search(start: str, end: str, size: int) -> dict[str, Any]:
    """The newest ``size`` events ingested in ``[start, end)``, their stamps only."""
    body = event_search(EventSearch(None, start, end, None, size))
    body["_source"] = [DATASET, INGESTED, TIMESTAMP]
    body["sort"] = [{INGESTED: "desc"}, {EVENT_ID_FIELD: "desc"}]
    return body
