"""Dead letters in the Elasticsearch store: filtered pages, replacing and deleting (replay).

Pages are sorted by (``received_at``, ``id``), both keywords, and resumed with
``search_after``; a reason class is matched with ``prefix`` queries on the ``reason`` keyword
following :func:`canhgac.dead_letters.class_filter`. Writes refresh before they return, so a
``deadletters list`` right after a replay shows its outcome.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from canhgac.dead_letters import DeadLetterPage, DeadLetterQuery, class_filter, page_of
from canhgac.errors import StoreError
from canhgac.models import DeadLetter
from canhgac.store.elasticsearch.client import ElasticsearchCalls
from canhgac.store.elasticsearch.documents import dead_letter_doc, dead_letter_from_doc, doc_id
from canhgac.store.elasticsearch.queries import MAX_WINDOW


class ElasticsearchDeadLetters:
    """The dead-letter index of one store."""

    def __init__(self, calls: ElasticsearchCalls, index: str) -> None:
        self._es = calls
        self.index = index

    def find(self, query: DeadLetterQuery) -> DeadLetterPage:
        size = min(query.limit, MAX_WINDOW)
        extra = {"search_after": list(query.after)} if query.after is not None else {}
        hits = self._es.search(
            self.index,
            query={"bool": {"filter": _filters(query)}},
            sort=[{"received_at": "asc"}, {"id": "asc"}],
            size=size,
            **extra,
        )
        return page_of([dead_letter_from_doc(hit["_source"]) for hit in hits], size)

    def replace(self, letters: Sequence[DeadLetter]) -> None:
        operations: list[Mapping[str, Any]] = []
        for letter in letters:
            operations.append({"index": {"_index": self.index, "_id": doc_id(letter.id)}})
            operations.append(dead_letter_doc(letter))
        self._bulk("replacing dead letters", operations)

    def delete(self, ids: Sequence[str]) -> int:
        operations = [{"delete": {"_index": self.index, "_id": doc_id(i)}} for i in ids]
        items = self._bulk("deleting dead letters", operations)
        return sum(1 for item in items if item.get("delete", {}).get("result") == "deleted")

    def _bulk(self, action: str, operations: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        if not operations:
            return []
        response = self._es.call(
            action, lambda: self._es.client.bulk(operations=operations, refresh="true")
        )
        items: list[dict[str, Any]] = response.body.get("items", [])
        for item in items:
            outcome = next(iter(item.values()))
            if outcome.get("status", 200) >= 300 and outcome.get("status") != 404:
                raise StoreError(f"{action}: {outcome.get('error')}")
        return items


def _filters(query: DeadLetterQuery) -> list[dict[str, Any]]:
    filters: list[dict[str, Any]] = []
    if query.source is not None:
        filters.append({"term": {"source": query.source}})
    if query.since is not None:
        filters.append({"range": {"received_at": {"gte": query.since}}})
    if query.reason is not None:
        alternatives = [
            {
                "bool": {
                    "filter": [{"prefix": {"reason": match.prefix}}] if match.prefix else [],
                    "must_not": [{"prefix": {"reason": prefix}} for prefix in match.unless],
                }
            }
            for match in class_filter(query.reason)
        ]
        filters.append({"bool": {"should": alternatives, "minimum_should_match": 1}})
    return filters
