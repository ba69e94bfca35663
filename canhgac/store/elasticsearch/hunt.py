"""Hunting searches on the Elasticsearch store (:mod:`canhgac.store.hunt`): query DSL only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from canhgac.errors import StoreError
from canhgac.models import TIMESTAMP, Event
from canhgac.store.elasticsearch.client import ElasticsearchCalls
from canhgac.store.elasticsearch.documents import hit_event
from canhgac.store.elasticsearch.mappings import EVENT_ID_FIELD
from canhgac.store.elasticsearch.queries import MAX_WINDOW
from canhgac.store.hunt import EventHunt, HuntPage, HuntRequest
from canhgac.timeutil import to_iso


class ElasticsearchHunt(EventHunt):
    def __init__(self, es: ElasticsearchCalls, index: str) -> None:
        self._es = es
        self._index = index

    def _query(self, request: HuntRequest) -> dict[str, Any]:
        if request.query is not None and not isinstance(request.query, Mapping):
            raise StoreError("an Elasticsearch hunt query is a query DSL dict")
        clauses: list[Any] = [{"range": {TIMESTAMP: {"gte": request.start, "lt": request.end}}}]
        if request.query:
            clauses.append(dict(request.query))
        return {"bool": {"filter": clauses}}

    def page(self, request: HuntRequest, after: tuple[str, str] | None, limit: int) -> HuntPage:
        size = min(limit, MAX_WINDOW)
        extra = {"search_after": [_sort_value(after[0]), after[1]]} if after is not None else {}
        hits = self._es.search(
            self._index,
            query=self._query(request),
            sort=[{TIMESTAMP: "desc"}, {EVENT_ID_FIELD: "desc"}],
            size=size,
            **extra,
        )
        events = [hit_event(hit) for hit in hits]
        last = (str(hits[-1]["sort"][0]), str(hits[-1]["sort"][1])) if len(hits) == size else None
        return HuntPage(events, last)

    def oldest(self, request: HuntRequest) -> Event | None:
        hits = self._es.search(
            self._index,
            query=self._query(request),
            sort=[{TIMESTAMP: "asc"}, {EVENT_ID_FIELD: "asc"}],
            size=1,
        )
        return hit_event(hits[0]) if hits else None

    def count(self, request: HuntRequest) -> int:
        return self._es.count(self._index, self._query(request))

    def histogram(self, request: HuntRequest, bucket_seconds: int) -> Sequence[tuple[str, int]]:
        response = self._es.call(
            f"histogram in {self._index}",
            lambda: self._es.client.search(
                index=self._index,
                ignore_unavailable=True,
                allow_no_indices=True,
                size=0,
                query=self._query(request),
                aggs={
                    "hits": {
                        "date_histogram": {
                            "field": TIMESTAMP,
                            "fixed_interval": f"{bucket_seconds}s",
                            "min_doc_count": 1,
                        }
                    }
                },
            ),
            all_shards=True,
        )
        buckets = response["aggregations"]["hits"]["buckets"]
        return [
            (to_iso(datetime.fromtimestamp(b["key"] / 1000, UTC)), int(b["doc_count"]))
            for b in buckets
        ]

    def address_condition(self, fields: Sequence[str], address: str) -> Any | None:
        # The search text's term queries on ip fields are the fast way already.
        return None


def _sort_value(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError("the page cursor is not one this search wrote") from None
