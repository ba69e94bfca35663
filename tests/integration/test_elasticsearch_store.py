"""Elasticsearch-specific behaviour of the store against a real node.

The behaviour shared with SQLite is in tests/canhgac/store/test_store_contract.py; this file
covers what only Elasticsearch does: mappings, partial bulk failures, daily indices.
"""

from __future__ import annotations

import threading

import pytest

from canhgac.models import Alert, Event
from canhgac.store.elasticsearch.store import ElasticsearchStore

pytestmark = pytest.mark.integration


def _event(i: int, day: str = "2026-11-27", **fields: object) -> Event:
    base: dict[str, object] = {
        "@timestamp": f"{day}T10:00:{i % 60:02d}.000000Z",
        "event.original": f"GET /{i} HTTP/1.1",
        "event.dataset": "nginx.access",
    }
    return Event(f"ev-{i:04d}", base | fields)


def _indices(store: ElasticsearchStore) -> list[str]:
    found = store._client.indices.get(index=store.names.events_pattern)
    return sorted(found.body)


def test_a_mapping_conflict_dead_letters_that_event_and_stores_the_rest(
    es_store: ElasticsearchStore,
) -> None:
    events = [
        _event(1, **{"http.response.status_code": 200}),
        _event(2, **{"http.response.status_code": "not-a-number"}),
        _event(3, **{"http.response.status_code": 404}),
    ]
    assert es_store.write_events(events) == 2
    assert [e.id for e in es_store.get_events(["ev-0001", "ev-0002", "ev-0003"])] == [
        "ev-0001",
        "ev-0003",
    ]
    [letter] = es_store.list_dead_letters()
    assert letter.id == "ev-0002"
    assert letter.source == "nginx.access"
    assert "http.response.status_code" in letter.reason and "long" in letter.reason
    assert letter.raw == b"GET /2 HTTP/1.1"
    assert letter.context["fields"]["http.response.status_code"] == "not-a-number"
    # A re-delivery of the same batch changes nothing, the dead letter included.
    assert es_store.write_events(events) == 0
    assert es_store.count_dead_letters() == 1


def test_a_dynamic_field_keeps_its_first_type_for_the_day(es_store: ElasticsearchStore) -> None:
    assert es_store.write_events([_event(1, **{"app.retries": 3})]) == 1
    assert es_store.write_events([_event(2, **{"app.retries": "many"})]) == 0
    [letter] = es_store.list_dead_letters()
    assert "app.retries" in letter.reason
    # The next day's index maps the field afresh.
    assert es_store.write_events([_event(3, "2026-11-28", **{"app.retries": "many"})]) == 1


def test_flat_keys_that_would_clash_as_objects_are_all_kept(es_store: ElasticsearchStore) -> None:
    fields = {"user": "an", "user.name": "nguyễn", "user.name.raw": "NGUYỄN"}
    assert es_store.write_events([_event(1, **fields)]) == 1
    [back] = es_store.get_events(["ev-0001"])
    assert {k: back.fields[k] for k in fields} == fields


def test_a_malformed_ip_is_kept_but_a_missing_timestamp_is_not(
    es_store: ElasticsearchStore,
) -> None:
    no_time = Event("ev-0009", {"event.original": "x", "event.dataset": "app"})
    nan = _event(8, **{"app.ratio": float("nan")})
    stored = es_store.write_events(
        [_event(1, **{"source.ip": "gateway.hanoi.gov.vn"}), no_time, nan]
    )
    assert stored == 1
    reasons = {d.id: d.reason for d in es_store.list_dead_letters()}
    assert "@timestamp is missing" in reasons["ev-0009"]
    assert "cannot be represented as JSON" in reasons["ev-0008"]


def test_events_go_to_the_index_of_their_own_day_so_redelivery_is_idempotent(
    es_store: ElasticsearchStore,
) -> None:
    events = [_event(1, "2026-11-27"), _event(2, "2026-11-28"), _event(3, "2025-12-31")]
    assert es_store.write_events(events) == 3
    prefix = es_store.names.prefix
    assert _indices(es_store) == [
        f"{prefix}-events-2025.12.31",
        f"{prefix}-events-2026.11.27",
        f"{prefix}-events-2026.11.28",
    ]
    assert es_store.write_events(list(reversed(events))) == 0
    assert es_store.count_events() == 3


def test_lucene_and_wrapped_dsl_queries_are_accepted(es_store: ElasticsearchStore) -> None:
    es_store.write_events(
        [_event(1, **{"host.name": "web-01"}), _event(2, **{"host.name": "db-01"})]
    )
    lucene = es_store.search_events("host.name:web*", "", "")
    wrapped = es_store.search_events({"query": {"term": {"host.name": "db-01"}}}, "", "")
    full_text = es_store.search_events({"match_phrase": {"event.original": "get /2"}}, "", "")
    assert [e.id for e in lucene.events] == ["ev-0001"]
    assert [e.id for e in wrapped.events] == ["ev-0002"]
    assert [e.id for e in full_text.events] == ["ev-0002"]


def test_concurrent_alert_recorders_count_every_distinct_event(
    es_store: ElasticsearchStore,
) -> None:
    seen = "2026-11-27T10:00:00.000000Z"
    alert = Alert(
        id="a1",
        rule_id="r1",
        rule_title="Brute force",
        severity="high",
        first_seen=seen,
        last_seen=seen,
        created_at=seen,
        updated_at=seen,
    )
    created: list[bool] = []

    def record(worker: int) -> None:
        for i in range(5):
            ids = [f"w{worker}-e{i}", "shared"]
            created.append(es_store.record_alert(alert, ids).created)

    threads = [threading.Thread(target=record, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stored = es_store.get_alert("a1")
    assert stored is not None and stored.count == 4 * 5 + 1
    assert created.count(True) == 1


def test_an_operator_component_template_overrides_the_event_settings(
    es_store: ElasticsearchStore,
) -> None:
    client, names = es_store._client, es_store.names
    client.cluster.put_component_template(
        name=names.events_custom,
        template={"settings": {"index": {"number_of_shards": 2, "refresh_interval": "5s"}}},
    )
    try:
        assert es_store.write_events([_event(1)]) == 1
        [index] = _indices(es_store)
        settings = client.indices.get_settings(index=index).body[index]["settings"]["index"]
        assert (settings["number_of_shards"], settings["refresh_interval"]) == ("2", "5s")
        # Ours still apply where not overridden.
        mapping = client.indices.get_mapping(index=index).body[index]["mappings"]
        assert mapping["properties"]["event.ingested"]["type"] == "date_nanos"
        # Searchable on return, whatever the refresh interval.
        assert [e.id for e in es_store.search_events(None, "", "").events] == ["ev-0001"]
    finally:
        es_store.delete_indices()
        client.cluster.delete_component_template(name=names.events_custom)
