"""Trigram prefilters on a real node: events without grams are still found.

Indices created before the store wrote grams (keyword fields indexed, no ``canhgac.grams``)
and events written without them (a reindex: ``_source`` never holds the grams) must match
every rule exactly as before; only events marked ``canhgac.grammed`` are required to have
the needle's trigrams.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from sigma.collection import SigmaCollection
from sigma.processing.pipeline import ProcessingPipeline

from alerting.detect.compile.elasticsearch.backend import compile_elasticsearch
from canhgac.config import ElasticsearchStoreConfig
from canhgac.models import Event
from canhgac.store.elasticsearch.mappings import GRAMS_FIELD, GRAMS_MARKER, IndexNames
from canhgac.store.elasticsearch.store import ElasticsearchStore

pytestmark = pytest.mark.integration

LINE = "sshd[411]: Failed password for an from 10.0.0.1"
# The event mapping before gram fields existed.
LEGACY_MAPPING = {
    "subobjects": False,
    "properties": {
        "event.original": {"type": "text", "fields": {"keyword": {"type": "keyword"}}},
        "event.ingested": {"type": "date_nanos"},
        "canhgac.event_id": {"type": "keyword"},
    },
}


@pytest.fixture
def names() -> IndexNames:
    return IndexNames(f"cg-it-grams-{uuid.uuid4().hex[:10]}")


@pytest.fixture
def client(es_url: str, names: IndexNames) -> Iterator[Elasticsearch]:
    client = Elasticsearch(es_url)
    try:
        yield client
    finally:
        client.close()
        cleanup = _store(es_url, names)
        try:
            cleanup.delete_indices()
        finally:
            cleanup.close()


def _store(es_url: str, names: IndexNames) -> ElasticsearchStore:
    return ElasticsearchStore(ElasticsearchStoreConfig(hosts=[es_url], index_prefix=names.prefix))


def _raw(event_id: str, day: str) -> dict[str, Any]:
    return {
        "@timestamp": f"{day}T10:00:00.000000Z",
        "event.ingested": f"{day}T10:00:01.000000Z",
        "canhgac.event_id": event_id,
        "event.original": LINE,
    }


def _search(store: ElasticsearchStore, keyword: str) -> list[str]:
    rule = SigmaCollection.from_dicts(
        [
            {
                "title": "t",
                "logsource": {"product": "x"},
                "detection": {"keywords": [keyword], "condition": "keywords"},
            }
        ]
    ).rules[0]
    query = compile_elasticsearch(rule, ProcessingPipeline()).query
    page = store.search_events(query, "", "2200-01-01T00:00:00.000000Z", limit=100)
    return sorted(event.id for event in page.events)


def test_events_without_grams_match_as_before(
    es_url: str, names: IndexNames, client: Elasticsearch
) -> None:
    # A daily index from before the upgrade, written before the store put its templates.
    legacy = names.events_for_day("2026-01-01")
    client.indices.create(index=legacy, mappings=LEGACY_MAPPING)
    client.index(index=legacy, id="old", document=_raw("old", "2026-01-01"), refresh=True)
    store = _store(es_url, names)
    try:
        assert store.write_events([Event("new", _raw("new", "2026-01-02"))]) == 1
        # Written around the store (a reindex): the new mapping, but no grams, no marker.
        reindexed = names.events_for_day("2026-01-03")
        client.index(index=reindexed, id="copied", document=_raw("copied", "2026-01-03"))
        client.indices.refresh(index=names.events_pattern)

        assert _search(store, "FAILED PASSWORD for") == ["copied", "new", "old"]
        assert _search(store, "failed passwords") == []
        [new] = store.get_events(["new"])
        assert set(new.fields) == set(_raw("new", "2026-01-02")) - {"canhgac.event_id"}
    finally:
        store.close()


def test_the_grams_are_indexed_but_not_kept_in_source(
    es_url: str, names: IndexNames, client: Elasticsearch
) -> None:
    store = _store(es_url, names)
    try:
        assert store.write_events([Event("e1", _raw("e1", "2026-01-02"))]) == 1
    finally:
        store.close()
    hits = client.search(
        index=names.events_pattern,
        query={
            "bool": {"filter": [{"term": {GRAMS_FIELD: "fai"}}, {"term": {GRAMS_MARKER: True}}]}
        },
    )["hits"]["hits"]
    assert [hit["_id"] for hit in hits] == ["e1"]
    assert GRAMS_FIELD not in hits[0]["_source"] and GRAMS_MARKER not in hits[0]["_source"]
