"""Data health in the Elasticsearch store: one composite aggregation over an hour's events,
buckets in the ``<prefix>-health`` index.

The source key's host (``host.name``, else ``log.source.address``), the clock skew and the
sequence number are fields the store derives when it writes an event
(:func:`canhgac.store.elasticsearch.documents.health_fields`), kept out of ``_source``: aggregations
need them per event and scripts are not available on every node. Events written before they
existed count under an empty host and without skew or sequence.
"understood" is the same rule as in SQLite (:mod:`canhgac.health.fields`) as a bool query of
``exists`` clauses. First and last arrival come from one-hit ``top_hits`` so their strings
keep microseconds (a ``min`` of a date is a double of milliseconds).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from canhgac.health.fields import (
    DATASET_FIELD,
    FUTURE_TOLERANCE_S,
    GENERIC_FIELDS,
    KEY_FIELDS,
    MODULE_FIELD,
    RAW_MODULE,
    SOURCE_FIELD,
    host_of_peer,
    reason_class,
)
from canhgac.health.model import DeadLetterSample, EventSample, HealthBucket, SourceKey
from canhgac.models import INGESTED, ORIGINAL, TIMESTAMP
from canhgac.store.elasticsearch.client import ElasticsearchCalls
from canhgac.store.elasticsearch.documents import loose_json
from canhgac.store.elasticsearch.mappings import (
    EVENT_ID_FIELD,
    HEALTH_HOST_FIELD,
    SEQUENCE_FIELD,
    SKEW_FIELD,
    IndexNames,
)
from canhgac.store.health import HealthStore
from canhgac.timeutil import now_iso

HOST = HEALTH_HOST_FIELD
SKEW = SKEW_FIELD
SEQUENCE = SEQUENCE_FIELD
PAGE = 1000
SAMPLE_CHARS = 2000


def _exists(name: str) -> dict[str, Any]:
    return {"exists": {"field": name}}


RAW_QUERY: dict[str, Any] = {"term": {MODULE_FIELD: RAW_MODULE}}
UNDERSTOOD_QUERY: dict[str, Any] = {
    "bool": {
        "should": [
            *(
                {
                    "bool": {
                        "filter": [
                            {"term": {DATASET_FIELD: dataset}},
                            *(_exists(name) for name in names),
                        ]
                    }
                }
                for dataset, names in KEY_FIELDS.items()
            ),
            {
                "bool": {
                    "must_not": [{"terms": {DATASET_FIELD: list(KEY_FIELDS)}}, RAW_QUERY],
                    "should": [_exists(name) for name in GENERIC_FIELDS],
                    "minimum_should_match": 1,
                }
            },
        ],
        "minimum_should_match": 1,
    }
}


def _edge(order: str) -> dict[str, Any]:
    return {"top_hits": {"size": 1, "sort": [{INGESTED: order}], "_source": [INGESTED]}}


_KEY_SOURCES = [
    {"source": {"terms": {"field": SOURCE_FIELD, "missing_bucket": True}}},
    {"host": {"terms": {"field": HOST}}},
    {"dataset": {"terms": {"field": DATASET_FIELD, "missing_bucket": True}}},
]
_HOUR_AGGS: dict[str, Any] = {
    "understood": {"filter": UNDERSTOOD_QUERY},
    "raw": {"filter": RAW_QUERY},
    "future": {"filter": {"range": {SKEW: {"lt": -FUTURE_TOLERANCE_S * 1000}}}},
    "first": _edge("asc"),
    "last": _edge("desc"),
    "skew": {"stats": {"field": SKEW}},
    "median": {"percentiles": {"field": SKEW, "percents": [50]}},
    "seq_distinct": {"cardinality": {"field": SEQUENCE, "precision_threshold": 40000}},
    "seq": {"stats": {"field": SEQUENCE}},
}


def _ingested_range(start: str, end: str | None = None) -> dict[str, Any]:
    bounds = {"gte": start} if end is None else {"gte": start, "lt": end}
    return {"range": {INGESTED: bounds}}


def _key(values: Mapping[str, Any]) -> SourceKey:
    return SourceKey(
        source=values.get("source") or "",
        host=values.get("host") or "",
        dataset=values.get("dataset") or "",
    )


def _top(hits: Mapping[str, Any]) -> str | None:
    found = hits["hits"]["hits"]
    return str(found[0]["_source"][INGESTED]) if found else None


def _bucket(agg: Mapping[str, Any], hour: str, computed_at: str) -> HealthBucket:
    skew, seq = agg["skew"], agg["seq"]
    median_ms = agg["median"]["values"].get("50.0")
    distinct = int(agg["seq_distinct"]["value"]) if seq["count"] else 0
    gaps = max(0, int(seq["max"]) - int(seq["min"]) + 1 - distinct) if distinct else 0
    low, high = skew["min"], skew["max"]
    worst = None if low is None else (low if abs(low) > abs(high) else high) / 1000
    return HealthBucket(
        key=_key(agg["key"]),
        hour=hour,
        events=agg["doc_count"],
        understood=agg["understood"]["doc_count"],
        raw=agg["raw"]["doc_count"],
        future=agg["future"]["doc_count"],
        first_ingested=_top(agg["first"]),
        last_ingested=_top(agg["last"]),
        skew_median_s=None if median_ms is None else round(median_ms / 1000, 3),
        skew_worst_s=None if worst is None else round(worst, 3),
        sequenced=distinct,
        sequence_gaps=gaps,
        computed_at=computed_at,
    )


def _after(hour: str) -> str:
    """A bound just past ``hour`` (canonical strings sort as times)."""
    return hour + "\x7f"


def _doc_id(hour: str, key: SourceKey) -> str:
    text = "\x1f".join((hour, key.source, key.host, key.dataset))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


class ElasticsearchHealth(HealthStore):
    """:class:`HealthStore` over the Elasticsearch store's indices."""

    def __init__(self, es: ElasticsearchCalls, names: IndexNames) -> None:
        self._es = es
        self._names = names

    # --- aggregation paging ----------------------------------------------------------------
    def _composite(
        self, index: str, query: dict[str, Any], sources: list[Any], aggs: dict[str, Any]
    ) -> Iterator[dict[str, Any]]:
        after: dict[str, Any] | None = None
        while True:
            composite: dict[str, Any] = {"size": PAGE, "sources": sources}
            if after is not None:
                composite["after"] = after

            def search(body: dict[str, Any] = composite) -> Any:
                return self._es.client.search(
                    index=index,
                    size=0,
                    query=query,
                    aggs={"keys": {"composite": body, "aggs": aggs}},
                    ignore_unavailable=True,
                    allow_no_indices=True,
                    allow_partial_search_results=False,
                )

            response = self._es.call(f"health aggregation on {index}", search, all_shards=True)
            keys = (response.body.get("aggregations") or {}).get("keys")
            if not keys:
                return
            yield from keys["buckets"]
            after = keys.get("after_key")
            if after is None or len(keys["buckets"]) < PAGE:
                return

    # --- HealthStore ---------------------------------------------------------------------------
    def compute(self, start: str, end: str, *, computed_at: str) -> list[HealthBucket]:
        query = {"bool": {"filter": [_ingested_range(start, end)]}}
        events = self._composite(self._names.events_pattern, query, _KEY_SOURCES, _HOUR_AGGS)
        buckets = {b.key: b for b in (_bucket(agg, start, computed_at) for agg in events)}
        for key, reasons in self._dead_letters(start, end).items():
            bucket = buckets.get(key) or HealthBucket(key=key, hour=start, computed_at=computed_at)
            bucket.dead_letters = sum(reasons.values())
            bucket.dead_letter_reasons = reasons
            buckets[key] = bucket
        return sorted(buckets.values(), key=lambda b: (b.key.source, b.key.host, b.key.dataset))

    def _dead_letters(self, start: str, end: str) -> dict[SourceKey, dict[str, int]]:
        query = {"range": {"received_at": {"gte": start, "lt": end}}}
        sources = [
            {"source": {"terms": {"field": "source"}}},
            {"peer": {"terms": {"field": "peer", "missing_bucket": True}}},
            {"reason": {"terms": {"field": "reason", "missing_bucket": True}}},
        ]
        found: dict[SourceKey, dict[str, int]] = {}
        for agg in self._composite(self._names.dead_letters, query, sources, {}):
            values = agg["key"]
            key = SourceKey(source=values["source"], host=host_of_peer(values["peer"]) or "")
            kind = reason_class(values["reason"] or "")
            reasons = found.setdefault(key, {})
            reasons[kind] = reasons.get(kind, 0) + int(agg["doc_count"])
        return found

    def save_hour(self, hour: str, buckets: Sequence[HealthBucket]) -> None:
        stored = list(buckets) or [HealthBucket(key=SourceKey(), hour=hour, computed_at=now_iso())]
        index = self._names.health
        docs = [
            (
                index,
                _doc_id(hour, b.key),
                {
                    "kind": "bucket",
                    "hour": hour,
                    "source": b.key.source,
                    "host": b.key.host,
                    "dataset": b.key.dataset,
                    "computed_at": b.computed_at,
                    "doc": b.model_dump(mode="json"),
                },
            )
            for b in stored
        ]
        self._es.index_docs(docs)
        keep = {doc_id for _, doc_id, _ in docs}
        stale = [
            h["_id"] for h in self._bucket_hits(hour, _after(hour), None) if h["_id"] not in keep
        ]
        self._delete(stale)

    def _delete(self, ids: Sequence[str]) -> int:
        """Delete bucket documents by id (delete-by-query needs a module not every node has)."""
        if not ids:
            self._refresh()
            return 0
        index = self._names.health
        lines = [loose_json({"delete": {"_index": index, "_id": doc_id}}) for doc_id in ids]
        self._es.bulk(lines, "true")
        return len(ids)

    def _refresh(self) -> None:
        index = self._names.health
        self._es.call(
            f"refresh {index}",
            lambda: self._es.client.indices.refresh(index=index, ignore_unavailable=True),
        )

    def _bucket_hits(
        self, since: str, until: str, key: SourceKey | None
    ) -> Iterator[dict[str, Any]]:
        filters: list[dict[str, Any]] = [
            {"term": {"kind": "bucket"}},
            {"range": {"hour": {"gte": since, "lt": until}}},
        ]
        if key is not None:
            filters += [
                {"term": {name: getattr(key, name)}} for name in ("source", "host", "dataset")
            ]
        sort = [{"hour": "asc"}, {"source": "asc"}, {"host": "asc"}, {"dataset": "asc"}]
        return self._es.scan(self._names.health, {"bool": {"filter": filters}}, sort)

    def buckets(self, since: str, until: str, key: SourceKey | None = None) -> list[HealthBucket]:
        found = [
            HealthBucket.model_validate(h["_source"]["doc"])
            for h in self._bucket_hits(since, until, key)
        ]
        return [b for b in found if b.key != SourceKey() or key == SourceKey()]

    def computed_hours(self, since: str, until: str) -> dict[str, str]:
        hours: dict[str, str] = {}
        for hit in self._bucket_hits(since, until, None):
            doc = hit["_source"]
            hours[doc["hour"]] = max(hours.get(doc["hour"], ""), doc["computed_at"])
        return hours

    def last_seen(self, since: str) -> dict[SourceKey, str]:
        query = {"bool": {"filter": [_ingested_range(since)]}}
        aggs = {"last": _edge("desc")}
        found: dict[SourceKey, str] = {}
        for agg in self._composite(self._names.events_pattern, query, _KEY_SOURCES, aggs):
            last = _top(agg["last"])
            if last is not None:
                found[_key(agg["key"])] = last
        return found

    def dead_letter_samples(
        self, source: str, since: str, until: str, *, reasons: int = 10, per_reason: int = 3
    ) -> list[DeadLetterSample]:
        query = {
            "bool": {
                "filter": [
                    {"term": {"source": source}},
                    {"range": {"received_at": {"gte": since, "lt": until}}},
                ]
            }
        }
        counts: dict[str, int] = {}
        examples: dict[str, list[str]] = {}
        sources = [{"reason": {"terms": {"field": "reason", "missing_bucket": True}}}]
        for agg in self._composite(self._names.dead_letters, query, sources, {}):
            reason = agg["key"]["reason"] or ""
            kind = reason_class(reason)
            counts[kind] = counts.get(kind, 0) + int(agg["doc_count"])
            examples.setdefault(kind, []).append(reason)
        top = sorted(counts, key=lambda kind: (-counts[kind], kind))[:reasons]
        return [
            DeadLetterSample(
                reason_class=kind,
                count=counts[kind],
                samples=self._raw_lines(query, examples[kind], per_reason),
            )
            for kind in top
        ]

    def _raw_lines(self, query: dict[str, Any], reasons: list[str], limit: int) -> list[str]:
        narrowed = {"bool": {"filter": [query, {"terms": {"reason": reasons}}]}}
        hits = self._es.search(
            self._names.dead_letters,
            query=narrowed,
            sort=[{"received_at": "desc"}, {"id": "asc"}],
            size=limit,
            source=["raw"],
        )
        return [
            base64.b64decode(h["_source"]["raw"]).decode("utf-8", "replace")[:SAMPLE_CHARS]
            for h in hits
        ]

    def not_understood_samples(
        self, key: SourceKey, since: str, until: str, *, limit: int = 10
    ) -> list[EventSample]:
        filters: list[dict[str, Any]] = [_ingested_range(since, until), {"term": {HOST: key.host}}]
        must_not: list[dict[str, Any]] = [UNDERSTOOD_QUERY]
        for field, value in ((SOURCE_FIELD, key.source), (DATASET_FIELD, key.dataset)):
            if value:
                filters.append({"term": {field: value}})
            else:
                must_not.append(_exists(field))
        hits = self._es.search(
            self._names.events_pattern,
            query={"bool": {"filter": filters, "must_not": must_not}},
            sort=[{INGESTED: "desc"}, {EVENT_ID_FIELD: "asc"}],
            size=limit,
            source=[TIMESTAMP, INGESTED, ORIGINAL, EVENT_ID_FIELD],
        )
        return [
            EventSample(
                id=h["_source"].get(EVENT_ID_FIELD, h["_id"]),
                timestamp=h["_source"][TIMESTAMP],
                ingested=h["_source"][INGESTED],
                original=str(h["_source"].get(ORIGINAL) or "")[:SAMPLE_CHARS],
            )
            for h in hits
        ]

    def prune(self, before: str) -> int:
        return self._delete([h["_id"] for h in self._bucket_hits("", before, None)])

    def probe_write(self) -> None:
        self._es.index_docs(
            [(self._names.health, "probe", {"kind": "probe", "computed_at": now_iso()})]
        )
