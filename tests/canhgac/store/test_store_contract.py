"""One set of behaviour tests for every Store implementation.

``sqlite`` runs on a temporary file; ``elasticsearch`` runs against the node of
``deploy/services/up`` (``CANHGAC_TEST_ES_URL``), is marked ``integration`` and FAILS when the
variable is missing. Each Elasticsearch test gets its own index prefix and deletes its indices
and template afterwards.

Queries are the one store-specific input: :data:`QUERIES` builds the same condition in each
store's query language (a SQL fragment for SQLite, a query DSL dict for Elasticsearch).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from canhgac.config import ElasticsearchStoreConfig
from canhgac.errors import StoreError
from canhgac.models import (
    Alert,
    AlertFilter,
    AlertStatus,
    DeadLetter,
    Event,
    Notification,
    RuleRun,
    RuleState,
)
from canhgac.store.base import EventSearch, RelatedQuery, Store
from canhgac.store.dialect import DIALECTS
from canhgac.store.lease_holders import default_owner
from canhgac.store.sqlite.schema import sql_field
from canhgac.store.sqlite.store import SQLiteStore
from canhgac.timeutil import now_iso

ES_HINT = "start the services with deploy/services/up and `source var/services/services.env`"
EARLY = "2000-01-01T00:00:00.000000Z"
LATE = "2100-01-01T00:00:00.000000Z"


def _sql_equals(field: str, value: str) -> str:
    return f"{sql_field(field)} = '{value.replace(chr(39), chr(39) * 2)}'"


def _dsl_equals(field: str, value: str) -> dict[str, Any]:
    return {"term": {field: value}}


# query_language -> "field equals value" in that language.
QUERIES: dict[str, Callable[[str, str], Any]] = {
    "sqlite": _sql_equals,
    "elasticsearch": _dsl_equals,
}


def _sqlite_store(tmp_path: Path) -> Iterator[Store]:
    store = SQLiteStore(tmp_path / "canhgac.db")
    yield store
    store.close()


def _elasticsearch_store(tmp_path: Path) -> Iterator[Store]:
    from canhgac.store.elasticsearch.store import ElasticsearchStore

    url = os.environ.get("CANHGAC_TEST_ES_URL", "").strip()
    if not url:
        pytest.fail(f"CANHGAC_TEST_ES_URL is not set: {ES_HINT}", pytrace=False)
    prefix = f"cgt-{uuid.uuid4().hex[:10]}"
    store = ElasticsearchStore(ElasticsearchStoreConfig(hosts=[url], index_prefix=prefix))
    try:
        yield store
    finally:
        store.delete_indices()
        store.close()


STORES: dict[str, Callable[[Path], Iterator[Store]]] = {
    "sqlite": _sqlite_store,
    "elasticsearch": _elasticsearch_store,
}


@pytest.fixture(
    params=["sqlite", pytest.param("elasticsearch", marks=pytest.mark.integration)],
)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    yield from STORES[request.param](tmp_path)


def test_every_store_kind_is_tested() -> None:
    from canhgac.store.registry import STORES as BUILDERS

    assert set(STORES) == set(BUILDERS.names()) == set(QUERIES)


# --- helpers ----------------------------------------------------------------------------------
def _event(i: int, **fields: object) -> Event:
    base: dict[str, object] = {
        "@timestamp": f"2026-11-27T10:00:{i % 60:02d}.{i:06d}Z",
        "event.original": f"line {i}",
        "event.dataset": "syslog",
        "event.kind": "event",
    }
    base.update(fields)
    return Event(f"id-{i:04d}", base)


def _alert(alert_id: str, seen: str, **fields: Any) -> Alert:
    values: dict[str, Any] = {
        "id": alert_id,
        "rule_id": "r1",
        "rule_title": "Test",
        "severity": "high",
        "first_seen": seen,
        "last_seen": seen,
        "created_at": seen,
        "updated_at": seen,
    }
    values.update(fields)
    return Alert(**values)


def _all_ids(store: Store, query: Any = None, start: str = EARLY, end: str = LATE) -> list[str]:
    return [e.id for e in store.search_events(query, start, end, limit=10_000).events]


# --- events -------------------------------------------------------------------------------------
def test_write_is_idempotent_and_counts_only_new_events(store: Store) -> None:
    assert store.write_events([_event(1), _event(2)]) == 2
    assert store.write_events([_event(1), _event(2), _event(3)]) == 1
    assert store.write_events([]) == 0
    assert store.count_events() == 3


def test_write_sets_ingested_and_a_redelivery_keeps_it(store: Store) -> None:
    before = now_iso()
    store.write_events([_event(1, **{"event.ingested": "1999-01-01T00:00:00.000000Z"})])
    after = now_iso()
    [stored] = store.get_events(["id-0001"])
    ingested = stored.fields["event.ingested"]
    assert before <= ingested <= after
    store.write_events([_event(1)])
    [again] = store.get_events(["id-0001"])
    assert again.fields["event.ingested"] == ingested
    assert again.fields == _event(1).fields | {"event.ingested": ingested}


def test_ingest_stamps_are_those_of_the_stored_events_whatever_the_store(store: Store) -> None:
    store.write_events([_event(1), _event(2, **{"event.dataset": "nginx.access"})])
    store.write_events([_event(3, **{"event.dataset": None})])
    events = store.search_events(None, EARLY, LATE, limit=10).events
    whole = Store.ingest_stamps(store, EARLY, LATE, 10)  # the generic reading of whole events
    own = store.ingest_stamps(EARLY, LATE, 10)
    assert own == whole
    assert [(s.dataset, s.timestamp) for s in own.stamps] == [
        ("syslog", "2026-11-27T10:00:01.000001Z"),
        ("nginx.access", "2026-11-27T10:00:02.000002Z"),
        ("?", "2026-11-27T10:00:03.000003Z"),
    ]
    assert [s.ingested for s in own.stamps] == [e.fields["event.ingested"] for e in events]
    assert own.since is None
    assert store.ingest_stamps(EARLY, LATE, 3) == own  # exactly all: not capped
    newest = store.ingest_stamps(EARLY, LATE, 2)
    assert newest == Store.ingest_stamps(store, EARLY, LATE, 2)
    assert newest.stamps == own.stamps[1:]
    assert newest.since == own.stamps[1].ingested


def test_ingested_grows_between_writes(store: Store) -> None:
    store.write_events([_event(1)])
    store.write_events([_event(2)])
    first, second = store.get_events(["id-0001", "id-0002"])
    assert first.fields["event.ingested"] <= second.fields["event.ingested"]


def test_search_pages_without_skipping_or_repeating(store: Store) -> None:
    # Three writes, so pages cross several event.ingested values and ties within one.
    for start in (0, 9, 17):
        store.write_events([_event(i) for i in range(start, start + 9)])
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = store.search_events(None, EARLY, LATE, after=after, limit=4)
        seen.extend(e.id for e in page.events)
        pages += 1
        if page.after is None:
            break
        after = page.after
    assert len(seen) == len(set(seen)) == 26
    assert pages == 7
    ordered = [(e.fields["event.ingested"], e.id) for e in store.get_events(seen)]
    assert ordered == sorted(ordered)


def test_search_window_is_start_inclusive_end_exclusive(store: Store) -> None:
    store.write_events([_event(1), _event(2)])
    store.write_events([_event(3)])
    [first, _, third] = store.get_events(["id-0001", "id-0002", "id-0003"])
    split = third.fields["event.ingested"]
    assert split > first.fields["event.ingested"]
    assert _all_ids(store, end=split) == ["id-0001", "id-0002"]
    assert _all_ids(store, start=split) == ["id-0003"]
    assert _all_ids(store, start=split, end=split) == []


def test_search_applies_the_compiled_query(store: Store) -> None:
    equals = QUERIES[store.query_language]
    store.write_events(
        [
            _event(1, **{"host.name": "web-01", "user.name": "nguyễn.văn.an"}),
            _event(2, **{"host.name": "web-02", "user.name": "trần.thị.bình"}),
            _event(3, **{"host.name": "web-01"}),
        ]
    )
    assert _all_ids(store, equals("host.name", "web-01")) == ["id-0001", "id-0003"]
    assert _all_ids(store, equals("user.name", "trần.thị.bình")) == ["id-0002"]
    assert _all_ids(store, equals("host.name", "nowhere")) == []


def test_related_events_match_any_value_within_the_timestamp_bounds(store: Store) -> None:
    hostile = "x' OR 1=1 --\"; DROP TABLE events; \u202e"
    store.write_events(
        [
            _event(1, **{"host.name": "web-01"}),
            _event(2, **{"user.name": "nguyễn.văn.an", "host.name": "web-09"}),
            _event(3, **{"host.name": "web-02"}),
            _event(4, **{"host.name": hostile}),
            _event(5, **{"@timestamp": "2026-11-27T11:00:00.000000Z", "host.name": "web-01"}),
        ]
    )
    start, end = "2026-11-27T10:00:00.000000Z", "2026-11-27T10:59:59.000000Z"
    values = {"host.name": "web-01", "user.name": "nguyễn.văn.an"}
    found = store.related_events(RelatedQuery(start, end, values), EARLY, LATE, 10)
    assert sorted(e.id for e in found) == ["id-0001", "id-0002"]
    only_hostile = RelatedQuery(start, end, {"host.name": hostile})
    assert [e.id for e in store.related_events(only_hostile, EARLY, LATE, 10)] == ["id-0004"]
    assert len(store.related_events(RelatedQuery(start, end, values), EARLY, LATE, 1)) == 1
    assert store.related_events(RelatedQuery(start, end, values), LATE, LATE, 10) == []


def test_the_dialect_speaks_the_store_query_language(store: Store) -> None:
    assert DIALECTS.get(store.query_language) is store.dialect
    assert store.dialect.query_language == store.query_language


def test_get_events_keeps_the_order_asked_and_skips_unknown(store: Store) -> None:
    store.write_events([_event(i) for i in range(1, 6)])
    got = store.get_events(["id-0004", "missing", "id-0001", "id-0005"])
    assert [e.id for e in got] == ["id-0004", "id-0001", "id-0005"]
    assert store.get_events([]) == []


def test_vietnamese_text_round_trips_unchanged(store: Store) -> None:
    nfc = "Đăng nhập thất bại: người dùng Nguyễn Văn Ánh"
    assert unicodedata.is_normalized("NFC", nfc)
    fields = {"message": nfc, "user.name": "nguyễn.văn.ánh", "tags": ["hà-nội", "sở-tttt"]}
    store.write_events([_event(1, **{"event.original": f"<13>{nfc}"}, **fields)])
    [back] = store.get_events(["id-0001"])
    assert back.fields["message"] == nfc
    assert back.fields["event.original"] == f"<13>{nfc}"
    assert back.fields["tags"] == ["hà-nội", "sở-tttt"]
    equals = QUERIES[store.query_language]
    assert _all_ids(store, equals("user.name", "nguyễn.văn.ánh")) == ["id-0001"]


def test_concurrent_writers_lose_nothing(store: Store) -> None:
    def writer(offset: int) -> None:
        for i in range(10):
            store.write_events([Event(f"t{offset}-{i}", _event(i).fields | {"n": i})])

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.count_events() == 40


# --- dead letters -------------------------------------------------------------------------------
def test_dead_letters_keep_raw_bytes_and_are_idempotent(store: Store) -> None:
    raw = b"\xff\xfe\x00garbage\x80 Nguy\xe1\xbb\x85n"
    first = DeadLetter(
        "d1", "syslog-udp", "not syslog", raw, "2026-11-27T10:00:00.000000Z", {"peer": "10.0.0.1"}
    )
    second = DeadLetter("d2", "file:/var/log/x", "quá dài", b"x", "2026-11-27T11:00:00.000000Z")
    assert store.write_dead_letters([first, first]) == 1
    assert store.write_dead_letters([first, second]) == 1
    assert store.count_dead_letters() == 2
    assert store.list_dead_letters() == [second, first]  # newest first
    assert store.list_dead_letters(limit=1) == [second]


# --- alerts -------------------------------------------------------------------------------------
def test_record_alert_counts_distinct_events_and_merges(store: Store) -> None:
    first = store.record_alert(
        _alert("a1", "2026-11-27T10:05:00.000000Z", event_ids=["e1", "e2"]), ["e1", "e2"]
    )
    assert first.created and first.alert.count == 2
    earlier = store.record_alert(
        _alert("a1", "2026-11-27T10:00:00.000000Z", event_ids=["e2", "e3"]), ["e2", "e3"]
    )
    assert not earlier.created
    assert earlier.alert.count == 3
    assert earlier.alert.first_seen == "2026-11-27T10:00:00.000000Z"
    assert earlier.alert.last_seen == "2026-11-27T10:05:00.000000Z"
    assert earlier.alert.event_ids == ["e1", "e2", "e3"]
    replay = store.record_alert(
        _alert("a1", "2026-11-27T10:00:00.000000Z", event_ids=["e2", "e3"]), ["e2", "e3"]
    )
    assert not replay.created and replay.alert.count == 3
    # Only new events, for an alert that exists: still a merge, not a second creation.
    later = store.record_alert(
        _alert("a1", "2026-11-27T10:09:00.000000Z", event_ids=["e4"]), ["e4"]
    )
    assert not later.created and later.alert.count == 4
    assert later.alert.event_ids == ["e1", "e2", "e3", "e4"]
    assert later.alert.last_seen == "2026-11-27T10:09:00.000000Z"
    assert store.get_alert("a1") == later.alert
    assert store.get_alert("missing") is None


def test_list_alerts_filters_and_orders_newest_first(store: Store) -> None:
    store.record_alert(_alert("a1", "2026-11-27T10:00:00.000000Z"), ["e1"])
    store.record_alert(_alert("a2", "2026-11-27T11:00:00.000000Z", severity="low"), ["e2"])
    store.record_alert(_alert("a3", "2026-11-27T12:00:00.000000Z", rule_id="r2"), ["e3"])
    assert [a.id for a in store.list_alerts(AlertFilter())] == ["a3", "a2", "a1"]
    assert [a.id for a in store.list_alerts(AlertFilter(severity="low"))] == ["a2"]
    assert [a.id for a in store.list_alerts(AlertFilter(rule_id="r2"))] == ["a3"]
    window = AlertFilter(since="2026-11-27T11:00:00.000000Z", until="2026-11-27T12:00:00.000000Z")
    assert [a.id for a in store.list_alerts(window)] == ["a2"]
    assert [a.id for a in store.list_alerts(AlertFilter(limit=1, offset=1))] == ["a2"]


def test_update_alert_changes_triage_fields(store: Store) -> None:
    store.record_alert(_alert("a1", "2026-11-27T10:00:00.000000Z"), ["e1"])
    store.record_alert(_alert("a2", "2026-11-27T11:00:00.000000Z"), ["e2"])
    stored = store.get_alert("a1")
    assert stored is not None
    closed = stored.model_copy(
        update={
            "status": AlertStatus.closed,
            "assignee": "trần.an",
            "close_reason": "dương tính giả",
            "updated_at": "2026-11-27T12:00:00.000000Z",
        }
    )
    store.update_alert(closed)
    assert store.get_alert("a1") == closed
    assert [a.id for a in store.list_alerts(AlertFilter(status=AlertStatus.new))] == ["a2"]
    assert [a.id for a in store.list_alerts(AlertFilter(status="closed"))] == ["a1"]
    store.update_alert(_alert("ghost", "2026-11-27T10:00:00.000000Z"))
    assert store.get_alert("ghost") is None


def _queue(store: Store) -> None:
    """Four alerts differing in every attribute the queue filters or sorts on."""
    alerts = [
        ("a1", "10", "low", "Đăng nhập SSH thất bại", {"host.name": "web-01", "user.name": "an"}),
        ("a2", "11", "critical", "Mimikatz", {"host.name": "dc-01", "source.ip": "10.0.0.9"}),
        ("a3", "12", "high", "Sudo lạ", {"host.name": "web-01", "user.name": "Nguyễn Bình"}),
        ("a4", "13", "high", "Quét cổng", {"source.ip": "10.0.0.9"}),
    ]
    for alert_id, hour, severity, title, snapshot in alerts:
        seen = f"2026-11-27T{hour}:00:00.000000Z"
        matches = {"a1": 3, "a2": 1, "a3": 5, "a4": 2}[alert_id]
        store.record_alert(
            _alert(alert_id, seen, severity=severity, rule_title=title, snapshot=snapshot),
            [f"{alert_id}-e{i}" for i in range(matches)],
        )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (AlertFilter(host="web-01"), ["a3", "a1"]),
        (AlertFilter(user="Nguyễn Bình"), ["a3"]),
        (AlertFilter(source_ip="10.0.0.9"), ["a4", "a2"]),
        (AlertFilter(text="NGUYỄN"), ["a3"]),  # any snapshot value, case-folded
        (AlertFilter(text="đăng nhập"), ["a1"]),  # the rule title
        (AlertFilter(text="100%_*"), []),  # wildcard characters are literal
        (AlertFilter(sort="oldest"), ["a1", "a2", "a3", "a4"]),
        (AlertFilter(sort="severity"), ["a2", "a4", "a3", "a1"]),
        (AlertFilter(sort="matches"), ["a3", "a1", "a4", "a2"]),
        (AlertFilter(sort="severity", severity="high", limit=1, offset=1), ["a3"]),
    ],
)
def test_alert_queue_filters_and_sorts(
    store: Store, query: AlertFilter, expected: list[str]
) -> None:
    _queue(store)
    assert [a.id for a in store.list_alerts(query)] == expected


def test_alert_queue_counts_per_status_and_filters_by_assignee(store: Store) -> None:
    _queue(store)
    for alert_id, status, assignee in (
        ("a1", AlertStatus.closed, "bình"),
        ("a3", AlertStatus.acknowledged, "bình"),
    ):
        stored = store.get_alert(alert_id)
        assert stored is not None
        store.update_alert(stored.model_copy(update={"status": status, "assignee": assignee}))
    assert [a.id for a in store.list_alerts(AlertFilter(assignee="bình"))] == ["a3", "a1"]
    counts = store.count_alerts(AlertFilter(host="web-01", status="new", limit=1))
    assert counts == {AlertStatus.new: 0, AlertStatus.acknowledged: 1, AlertStatus.closed: 1}
    assert sum(store.count_alerts(AlertFilter()).values()) == 4


def test_alert_queue_sorts_by_priority_none_last_and_keeps_it_through_triage(store: Store) -> None:
    """Priority (rule severity x asset criticality) is stored with the alert: highest first,
    ties newest first, alerts without one (recorded before priorities) last."""
    alerts = [
        ("p1", "10", 12, "Cổng dịch vụ công"),
        ("p2", "11", None, None),
        ("p3", "12", 4, None),
        ("p4", "13", 12, "Hồ sơ sức khỏe điện tử"),
        ("p5", "14", 0, None),
    ]
    for alert_id, hour, priority, asset in alerts:
        seen = f"2026-11-27T{hour}:00:00.000000Z"
        store.record_alert(_alert(alert_id, seen, priority=priority, asset=asset), [alert_id])
    ordered = store.list_alerts(AlertFilter(sort="priority"))
    assert [a.id for a in ordered] == ["p4", "p1", "p3", "p5", "p2"]
    assert [(a.priority, a.asset) for a in ordered[:2]] == [
        (12, "Hồ sơ sức khỏe điện tử"),
        (12, "Cổng dịch vụ công"),
    ]
    assert [a.id for a in store.list_alerts(AlertFilter(sort="priority", limit=2, offset=1))] == [
        "p1",
        "p3",
    ]
    # A triage change and a repeated match keep the priority set at creation.
    stored = store.get_alert("p3")
    assert stored is not None
    store.update_alert(stored.model_copy(update={"status": AlertStatus.acknowledged}))
    store.record_alert(_alert("p3", "2026-11-27T15:00:00.000000Z", priority=16), ["p3-b"])
    again = store.get_alert("p3")
    assert again is not None
    assert (again.priority, again.status, again.count) == (4, AlertStatus.acknowledged, 2)
    assert [a.id for a in store.list_alerts(AlertFilter(sort="priority"))][:3] == ["p4", "p1", "p3"]


# --- notifications ------------------------------------------------------------------------------
def test_notification_outbox(store: Store) -> None:
    store.enqueue_notifications("a1", ["console", "email"])
    store.enqueue_notifications("a1", ["console"])
    store.enqueue_notifications("a2", ["webhook"])
    pending = store.pending_notifications()
    assert sorted((n.alert_id, n.channel) for n in pending) == [
        ("a1", "console"),
        ("a1", "email"),
        ("a2", "webhook"),
    ]
    assert all(n.status == "pending" and n.attempts == 0 for n in pending)
    sent = Notification(
        alert_id="a1", channel="email", status="sent", attempts=1, updated_at=now_iso()
    )
    store.mark_notification(sent)
    failing = Notification(
        alert_id="a2",
        channel="webhook",
        status="pending",
        attempts=2,
        last_error="HTTP 503",
        updated_at=now_iso(),
    )
    store.mark_notification(failing)
    left = store.pending_notifications()
    assert [(n.alert_id, n.channel) for n in left] == [("a1", "console"), ("a2", "webhook")]
    assert left[1] == failing
    assert len(store.pending_notifications(limit=1)) == 1
    assert [(n.channel, n.status) for n in store.list_notifications("a1")] == [
        ("console", "pending"),
        ("email", "sent"),
    ]
    assert store.list_notifications("nothing") == []


# --- rule run-state -----------------------------------------------------------------------------
def _run(rule_id: str, start_minute: int, matches: int = 0) -> RuleRun:
    return RuleRun(
        rule_id=rule_id,
        window_start=f"2026-11-27T10:{start_minute:02d}:00.000000Z",
        window_end=f"2026-11-27T10:{start_minute + 1:02d}:00.000000Z",
        matches=matches,
        finished_at=f"2026-11-27T10:{start_minute + 1:02d}:05.000000Z",
    )


def _state(run: RuleRun) -> RuleState:
    return RuleState(rule_id=run.rule_id, watermark=run.window_end, last_matches=run.matches)


def test_complete_window_keeps_watermark_and_history(store: Store) -> None:
    assert store.get_rule_state("r1") is None
    runs = [_run("r1", 1, 2), _run("r2", 0), _run("r1", 0, 1)]
    for run in runs:
        store.complete_window(_state(run), run)
    assert store.get_rule_state("r1") == _state(runs[2])
    assert store.list_rule_runs("r1") == [runs[2], runs[0]]
    assert store.list_rule_runs() == [runs[2], runs[0], runs[1]]
    # A re-run of a window after a crash replaces its history row instead of adding one.
    rerun = _run("r1", 1, 5)
    store.complete_window(_state(rerun), rerun)
    assert store.list_rule_runs("r1") == [runs[2], rerun]
    assert store.get_rule_state("r1") == _state(rerun)


# --- batches (one detection tick) ---------------------------------------------------------------
def test_a_batch_of_searches_pages_like_single_searches_and_isolates_a_bad_query(
    store: Store,
) -> None:
    equals = QUERIES[store.query_language]
    store.write_events([_event(i, **{"user.name": "bob" if i % 2 else "eve"}) for i in range(7)])
    # Rejected when the query runs, or (Elasticsearch) already when the request is parsed.
    broken: list[Any] = (
        ["no_such_function(1)", "user.name = "]
        if store.query_language == "sqlite"
        else [{"query_string": {"query": "a AND (("}}, {"nope": {}}]
    )
    searches = [
        EventSearch(equals("user.name", "bob"), EARLY, LATE, limit=2),
        *(EventSearch(query, EARLY, LATE) for query in broken),
        EventSearch(equals("user.name", "eve"), EARLY, LATE, limit=10),
    ]
    first, *failed, eve = store.search_events_batch(searches)
    assert all(isinstance(error, StoreError) for error in failed)
    assert not isinstance(first, StoreError) and not isinstance(eve, StoreError)
    assert [e.id for e in eve.events] == ["id-0000", "id-0002", "id-0004", "id-0006"]
    assert eve.after is None
    bobs = [e.id for e in first.events]
    after = first.after
    while after is not None:
        [page] = store.search_events_batch(
            [EventSearch(equals("user.name", "bob"), EARLY, LATE, after=after, limit=2)]
        )
        assert not isinstance(page, StoreError)
        bobs += [e.id for e in page.events]
        after = page.after
    assert bobs == ["id-0001", "id-0003", "id-0005"] == _all_ids(store, equals("user.name", "bob"))


def test_a_batch_of_alerts_creates_merges_and_counts_each_alert_once(store: Store) -> None:
    seen = "2026-11-27T10:00:00.000000Z"
    later = "2026-11-27T11:00:00.000000Z"
    old = _alert("a-old", seen, event_ids=["e1"])
    store.record_alert(old, ["e1"])
    writes = store.record_alerts(
        [
            (_alert("a-new", seen, event_ids=["e2", "e3"]), ["e2", "e3"]),
            (_alert("a-old", later, event_ids=["e1", "e4"]), ["e1", "e4"]),
            (_alert("a-twice", seen, event_ids=["e5"]), ["e5"]),
            (_alert("a-twice", later, event_ids=["e5", "e6"]), ["e5", "e6"]),
        ]
    )
    assert [(w.alert.id, w.created) for w in writes] == [
        ("a-new", True),
        ("a-old", False),
        ("a-twice", True),
        ("a-twice", False),
    ]
    stored = {a: store.get_alert(a) for a in ("a-new", "a-old", "a-twice")}
    assert {a: (s.count, s.last_seen) for a, s in stored.items() if s} == {
        "a-new": (2, seen),
        "a-old": (2, later),
        "a-twice": (2, later),
    }
    # The same batch again (a repeated window) changes nothing.
    again = store.record_alerts([(_alert("a-new", seen, event_ids=["e2", "e3"]), ["e2", "e3"])])
    assert [(w.created, w.alert.count) for w in again] == [(False, 2)]


def test_batches_of_notifications_and_rule_states_round_trip(store: Store) -> None:
    seen = "2026-11-27T10:00:00.000000Z"
    for alert_id in ("a1", "a2"):
        store.record_alert(_alert(alert_id, seen), ["e1"])
    store.enqueue_notifications_batch([("a1", ["console", "email"]), ("a2", ["console"])])
    store.enqueue_notifications_batch([("a1", ["console"])])  # already queued: ignored
    assert [n.channel for n in store.list_notifications("a1")] == ["console", "email"]
    assert [n.channel for n in store.list_notifications("a2")] == ["console"]

    assert store.get_rule_states(["r1", "r2"]) == {}
    windows = [
        (
            RuleState(rule_id=rule, watermark=f"2026-11-27T10:0{i}:00.000000Z"),
            RuleRun(
                rule_id=rule,
                window_start="2026-11-27T09:00:00.000000Z",
                window_end=f"2026-11-27T10:0{i}:00.000000Z",
                matches=i,
                finished_at=now_iso(),
            ),
        )
        for i, rule in enumerate(["r1", "r2"])
    ]
    store.complete_windows(windows)
    states = store.get_rule_states(["r1", "r2", "r3"])
    assert {r: s.watermark for r, s in states.items()} == {
        "r1": "2026-11-27T10:00:00.000000Z",
        "r2": "2026-11-27T10:01:00.000000Z",
    }
    assert [run.matches for run in store.list_rule_runs()] == [0, 1]
    # A failed run keeps its watermark and records the error, without a run record.
    failed = states["r2"].model_copy(update={"last_error": "StoreError: query rejected"})
    store.save_rule_states([failed])
    assert store.get_rule_states(["r2"]) == {"r2": failed}
    assert len(store.list_rule_runs("r2")) == 1


def test_leases_taken_in_batches_never_overlap_between_owners(store: Store) -> None:
    first = store.acquire_leases(["l1", "l2"], "det-1", 60)
    second = store.acquire_leases(["l2", "l3"], "det-2", 60)
    assert (first, second) == ({"l1", "l2"}, {"l3"})
    assert store.acquire_leases(["l1", "l2", "l3"], "det-1", 60) == {"l1", "l2"}  # renewal
    store.release_leases(["l1", "l2", "l3"], "det-1")  # l3 is not det-1's: left alone
    assert store.acquire_leases(["l1", "l2", "l3"], "det-2", 60) == {"l1", "l2", "l3"}
    store.release_leases(["l1", "l2", "l3"], "det-2")
    assert store.acquire_leases(["l1"], "det-1", 60) == {"l1"}


def test_scan_alerts_reaches_every_matching_alert_once_oldest_first(store: Store) -> None:
    # More than a page (1000 on SQLite), several alerts sharing each last_seen: only the id
    # tells them apart at a page boundary.
    alerts = [
        _alert(f"a-{n:05d}", f"2026-11-27T10:{n // 300:02d}:00.000000Z", rule_id=f"r{n % 2}")
        for n in range(2_600)
    ]
    store.record_alerts([(alert, [f"ev-{alert.id}"]) for alert in alerts])
    scanned = list(store.scan_alerts(AlertFilter(rule_id="r1", limit=1)))
    expected = sorted((a.last_seen, a.id) for a in alerts if a.rule_id == "r1")
    assert [(a.last_seen, a.id) for a in scanned] == expected
    assert len({a.id for a in scanned}) == 1_300
    assert len(list(store.scan_alerts(AlertFilter()))) == 2_600


def test_a_lease_whose_holder_died_on_this_host_is_taken_over_at_once(store: Store) -> None:
    # kill -9 leaves the leases behind; the restarted process must not wait out their ttl.
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    dead = f"{socket.gethostname()}:{child.pid}:0badc0de"
    alive = default_owner()
    elsewhere = f"other-host.example:{child.pid}:0badc0de"
    assert store.acquire_leases(["l1", "l2"], dead, 600) == {"l1", "l2"}
    assert store.acquire_leases(["l3"], alive, 600) == {"l3"}
    assert store.acquire_leases(["l4"], elsewhere, 600) == {"l4"}
    successor = default_owner()
    assert store.acquire_leases(["l1", "l2", "l3", "l4"], successor, 600) == {"l1", "l2"}
    assert store.acquire_lease("l1", successor, 600)  # now the successor's own: a renewal
    assert not store.acquire_lease("l1", default_owner(), 600)  # and it is alive
