"""Alert statistics in the Elasticsearch store: ``size: 0`` searches with aggregations over
the alerts index.

``last_seen`` is a keyword (canonical UTC strings sort as time), so buckets are a ``filters``
aggregation of range queries on it, compared as text exactly as SQLite compares them; counts
within a bucket are ``terms`` aggregations on the mapped keywords (the snapshot's host and
source IP are the derived ``canhgac.*`` fields the queue filters on).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from canhgac.models import AlertStatus, Severity
from canhgac.store.alert_stats import (
    AlertDimension,
    AlertStats,
    BucketCount,
    RuleOutcome,
    ValueCount,
)
from canhgac.store.elasticsearch.client import ElasticsearchCalls
from canhgac.store.elasticsearch.mappings import IndexNames

_FIELDS: dict[AlertDimension, str] = {
    AlertDimension.rule: "rule_id",
    AlertDimension.host: "canhgac.host",
    AlertDimension.source_ip: "canhgac.source_ip",
    AlertDimension.tag: "tags",
}
#: Rules a window's outcome lists at most (a rule set is a few thousand rules).
MAX_RULES = 10_000


def _window(since: str, until: str) -> dict[str, Any]:
    return {"range": {"last_seen": {"gte": since, "lt": until}}}


class ElasticsearchAlertStats(AlertStats):
    def __init__(self, calls: ElasticsearchCalls, names: IndexNames) -> None:
        self._es = calls
        self._index = names.alerts

    def _aggregate(self, query: Mapping[str, Any], aggs: Mapping[str, Any]) -> dict[str, Any]:
        client = self._es.client
        response = self._es.call(
            f"aggregate {self._index}",
            lambda: client.search(
                index=self._index,
                query=dict(query),
                size=0,
                aggs=dict(aggs),
                ignore_unavailable=True,
                allow_partial_search_results=False,
            ),
            all_shards=True,
        )
        return dict(response.body.get("aggregations") or {})

    def histogram(self, edges: Sequence[str]) -> list[BucketCount]:
        if len(edges) < 2:
            return []
        filters = {
            str(i): _window(start, end)
            for i, (start, end) in enumerate(zip(edges, edges[1:], strict=False))
        }
        severities = {"terms": {"field": "severity", "size": len(Severity)}}
        aggs = self._aggregate(
            _window(edges[0], edges[-1]),
            {"b": {"filters": {"filters": filters}, "aggs": {"s": severities}}},
        )
        found = aggs.get("b", {}).get("buckets", {})
        return sorted(
            (
                BucketCount(int(i), Severity(s["key"]), int(s["doc_count"]))
                for i, bucket in found.items()
                for s in bucket["s"]["buckets"]
            ),
            key=lambda c: (c.bucket, c.severity.value),
        )

    def top(
        self, dimension: AlertDimension, since: str, until: str, *, limit: int = 10
    ) -> list[ValueCount]:
        terms = {
            "field": _FIELDS[dimension],
            "size": limit,
            # Exact counts for the values shown: the alerts index has one shard.
            "order": [{"_count": "desc"}, {"_key": "asc"}],
        }
        aggs = self._aggregate(_window(since, until), {"v": {"terms": terms}})
        return [
            ValueCount(str(b["key"]), int(b["doc_count"]))
            for b in aggs.get("v", {}).get("buckets", [])
            if b["key"] != ""
        ]

    def rule_outcomes(self, since: str, until: str) -> list[RuleOutcome]:
        closed = {"term": {"status": AlertStatus.closed.value}}
        false_positive = {
            "bool": {"filter": [closed, {"term": {"close_reason": "false_positive"}}]}
        }
        terms = {"field": "rule_id", "size": MAX_RULES, "order": {"_key": "asc"}}
        aggs = self._aggregate(
            _window(since, until),
            {
                "r": {
                    "terms": terms,
                    "aggs": {"c": {"filter": closed}, "f": {"filter": false_positive}},
                }
            },
        )
        return [
            RuleOutcome(
                str(b["key"]),
                int(b["doc_count"]),
                int(b["c"]["doc_count"]),
                int(b["f"]["doc_count"]),
            )
            for b in aggs.get("r", {}).get("buckets", [])
        ]
