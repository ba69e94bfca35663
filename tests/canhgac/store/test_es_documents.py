"""Elasticsearch store pieces that need no node: documents, queries, configuration."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import SecretStr

from canhgac.config import ElasticsearchStoreConfig
from canhgac.errors import ConfigError, StoreError, StoreUnavailableError
from canhgac.models import Alert, AlertFilter, Event
from canhgac.store.elasticsearch.documents import (
    alert_doc,
    alert_from_doc,
    dead_letter_doc,
    dead_letter_from_doc,
    doc_id,
    event_dead_letter,
    hit_event,
    prepare_event,
)
from canhgac.store.elasticsearch.grams import document_grams
from canhgac.store.elasticsearch.mappings import (
    DERIVED_FIELDS,
    GRAM_SOURCES,
    GRAMS_FIELD,
    GRAMS_MARKER,
    HEALTH_HOST_FIELD,
    KEYWORD_MAX_CHARS,
    SEQUENCE_FIELD,
    SKEW_FIELD,
    IndexNames,
    events_component,
)
from canhgac.store.elasticsearch.queries import (
    alert_query,
    ingested_nanos,
    ingested_range,
    user_query,
)

NAMES = IndexNames("cg")


def _event(**fields: Any) -> Event:
    return Event("e1", {"@timestamp": "2026-11-27T23:59:59.999999Z", **fields})


def test_an_event_goes_to_the_index_of_its_own_utc_day() -> None:
    prepared = prepare_event(_event(**{"event.ingested": "spoofed", "message": "xin chào"}), NAMES)
    assert not isinstance(prepared, str)
    assert prepared.index == "cg-events-2026.11.27"
    assert json.loads(prepared.action) == {"create": {"_index": prepared.index, "_id": "e1"}}
    source = json.loads(prepared.source("2026-11-28T00:00:00.000001Z"))
    assert source["event.ingested"] == "2026-11-28T00:00:00.000001Z"  # the store's, not the log's
    assert source["canhgac.event_id"] == "e1" and source["message"] == "xin chào"


def _source(event: Event) -> dict[str, Any]:
    prepared = prepare_event(event, NAMES)
    assert not isinstance(prepared, str)
    source: dict[str, Any] = json.loads(prepared.source("2026-11-28T00:00:00.000001Z"))
    return source


def test_an_event_carries_the_grams_of_its_gram_fields_and_the_marker() -> None:
    source = _source(
        _event(
            **{
                "event.original": "sshd: Failed password for AN",
                "message": "Failed password for AN",  # not a gram field
                "url.original": "/Ễ?q=x",
                "process.command_line": ["wget x", 42],
                "user.name": "not grammed",
            }
        )
    )
    expected = document_grams(["sshd: Failed password for AN", "/Ễ?q=x", "wget x", "42"])
    assert set(source[GRAMS_FIELD]) == expected and len(source[GRAMS_FIELD]) == len(expected)
    assert "fai" in expected and "?q=" in expected and "not" not in expected
    assert source[GRAMS_MARKER] is True


def test_values_elasticsearch_does_not_keep_give_no_grams() -> None:
    too_long = "x" * (KEYWORD_MAX_CHARS + 1)
    assert _source(_event(**{"event.original": too_long}))[GRAMS_FIELD] == []
    # An event's own fields of the derived names are dropped, like its canhgac.event_id.
    source = _source(_event(**{GRAMS_FIELD: ["evil"], GRAMS_MARKER: False}))
    assert source[GRAMS_FIELD] == [] and source[GRAMS_MARKER] is True


def test_hits_never_show_the_derived_fields() -> None:
    hit = {"_id": "e1", "_source": {"a": 1, GRAMS_FIELD: ["abc"], GRAMS_MARKER: True}}
    assert hit_event(hit) == Event("e1", {"a": 1})


def test_gram_fields_are_doc_values_only_and_the_grams_stay_out_of_source() -> None:
    mappings = events_component()["template"]["mappings"]
    properties = mappings["properties"]
    assert mappings["_source"] == {"excludes": list(DERIVED_FIELDS)}
    assert {GRAMS_FIELD, GRAMS_MARKER} <= set(DERIVED_FIELDS)
    for name in GRAM_SOURCES:
        spec = (
            properties[name]["fields"]["keyword"] if name == "event.original" else properties[name]
        )
        assert spec["index"] is False and spec["meta"] == {"grams": GRAMS_FIELD}
        assert spec["ignore_above"] == KEYWORD_MAX_CHARS
    assert properties[GRAMS_FIELD] == {"type": "keyword", "doc_values": False}


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        (Event("e", {"message": "x"}), "@timestamp is missing"),
        (Event("e", {"@timestamp": 1700000000}), "@timestamp is missing"),
        (_event(ratio=float("inf")), "cannot be represented as JSON"),
        (_event(message="bad \udcff byte"), "cannot be represented as JSON"),
    ],
)
def test_events_elasticsearch_cannot_take_are_refused_with_a_reason(
    event: Event, reason: str
) -> None:
    result = prepare_event(event, NAMES)
    assert isinstance(result, str) and reason in result


def test_a_rejected_event_keeps_its_raw_bytes_and_fields() -> None:
    line = b"user=\xff".decode("utf-8", "surrogateescape")
    letter = event_dead_letter(_event(**{"event.original": line}), "cg-events-x", "bad")
    assert letter.raw == b"user=\xff"
    assert letter.context["fields"]["event.original"] == line
    back = dead_letter_from_doc(json.loads(json.dumps(dead_letter_doc(letter))))
    assert back.raw == letter.raw and back.reason == "Elasticsearch rejected the event: bad"


def test_long_ids_are_hashed_deterministically() -> None:
    long_id = "x" * 600
    assert doc_id("short") == "short"
    assert doc_id(long_id) == doc_id(long_id) != doc_id(long_id + "y")
    assert len(doc_id(long_id)) < 512
    assert doc_id("a", "b") != doc_id("a\x1fb", "")  # composite keys


def test_alert_documents_carry_derived_fields_and_round_trip() -> None:
    seen = "2026-11-27T10:00:00.000000Z"
    alert = Alert(
        id="a",
        rule_id="r",
        rule_title="Đăng nhập",
        severity="critical",
        snapshot={"host.name": "web-01", "source.ip": 42},
        first_seen=seen,
        last_seen=seen,
        created_at=seen,
        updated_at=seen,
    )
    doc = alert_doc(alert)
    assert doc["canhgac"]["severity_rank"] == 4
    assert doc["canhgac"]["host"] == "web-01" and "source_ip" not in doc["canhgac"]
    assert "đăng nhập" in doc["canhgac"]["text"]
    assert alert_from_doc(doc) == alert


def test_alert_text_search_escapes_wildcards() -> None:
    query = alert_query(AlertFilter(text="A*b?"), with_status=True)
    [wildcard] = query["bool"]["filter"]
    assert wildcard == {"wildcard": {"canhgac.text": {"value": "*a\\*b\\?*"}}}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (None, None),
        ("", None),
        ({}, None),
        ("host.name:web*", {"query_string": {"query": "host.name:web*"}}),
        ({"term": {"a": 1}}, {"term": {"a": 1}}),
        ({"query": {"term": {"a": 1}}}, {"term": {"a": 1}}),
    ],
)
def test_detection_queries_in_every_accepted_form(query: Any, expected: Any) -> None:
    assert user_query(query) == expected


def test_a_query_of_another_language_is_an_error() -> None:
    with pytest.raises(StoreError, match="not list"):
        user_query(["SELECT 1"])


def test_a_page_resume_key_raises_the_lower_bound_only_when_later() -> None:
    later, window = "2026-11-27T10:00:05.000002Z", "2026-11-27T10:00:00.000000Z"
    assert ingested_range(window, "", later) == {"gte": later}
    assert ingested_range(later, "", window) == {"gte": later}
    assert ingested_range("", "2026-11-28", window)["gte"] == window
    # Not compared as text: "10:00:05Z" sorts after "10:00:05.5Z" as text, not in time.
    assert ingested_range("2026-11-27T10:00:05Z", "", "2026-11-27T10:00:05.5Z") == {
        "gte": "2026-11-27T10:00:05.500000Z"
    }


def test_ingested_ranges_are_exact_and_clamped() -> None:
    assert ingested_range("", "") == {}
    assert ingested_range("2026-11-27T10:00:00.000001Z", "9999-01-01") == {
        "gte": "2026-11-27T10:00:00.000001Z",
        "lt": "2262-04-11T00:00:00.000000Z",
    }
    assert ingested_range("1900-01-01T00:00:00Z", "")["gte"] == "1970-01-01T00:00:00.000000Z"
    assert ingested_nanos("1970-01-01T00:00:01.000002Z") == 1_000_002_000
    with pytest.raises(StoreError, match="not an ISO 8601"):
        ingested_range("yesterday", "")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"index_prefix": "Canh Gac"}, "index_prefix"),
        ({"api_key": SecretStr("k"), "username": "u", "password": SecretStr("p")}, "not both"),
        ({"username": "u"}, "password: required"),
    ],
)
def test_store_configuration_errors(values: dict[str, Any], message: str) -> None:
    from canhgac.store.elasticsearch.store import ElasticsearchStore

    with pytest.raises(ConfigError, match=message):
        ElasticsearchStore(ElasticsearchStoreConfig(hosts=["http://127.0.0.1:1"], **values))


def test_an_unreachable_node_is_an_unavailable_store() -> None:
    from canhgac.store.elasticsearch.store import ElasticsearchStore

    with pytest.raises(StoreUnavailableError, match="cannot connect"):
        ElasticsearchStore(ElasticsearchStoreConfig(hosts=["http://127.0.0.1:1"]))


def test_events_carry_the_fields_data_health_aggregates_on() -> None:
    fields = {
        "@timestamp": "2026-03-10T03:00:00.250000Z",
        "event.original": "x",
        "log.source.address": "10.0.0.12",
        "winlog.record_id": "4711",
    }
    prepared = prepare_event(Event("e1", fields), IndexNames("cg"))
    assert not isinstance(prepared, str)
    source = json.loads(prepared.source("2026-03-10T03:00:02.000999Z"))
    assert source[SKEW_FIELD] == 1750  # milliseconds, both times truncated to milliseconds
    assert source[HEALTH_HOST_FIELD] == "10.0.0.12"  # no host.name: the sender
    assert source[SEQUENCE_FIELD] == 4711
    fields["host.name"] = "ecab-db01"
    fields["winlog.record_id"] = "-1"
    prepared = prepare_event(Event("e1", fields), IndexNames("cg"))
    assert not isinstance(prepared, str)
    source = json.loads(prepared.source("2026-03-10T03:00:00.250000Z"))
    assert (source[HEALTH_HOST_FIELD], source[SKEW_FIELD]) == ("ecab-db01", 0)
    assert SEQUENCE_FIELD not in source
