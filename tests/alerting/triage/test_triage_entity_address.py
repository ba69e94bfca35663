"""The IP entity page reads addresses through the store's address query, with the same events
as the search text it shows (source or destination, any letter case, nothing else)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from alerting.hunt.compilers import HUNT_COMPILERS
from alerting.hunt.parser import parse
from alerting.triage.entity import ENTITY_KINDS, entity_query, entity_view
from canhgac.models import Event
from canhgac.store.base import Store
from canhgac.store.hunt import HuntRequest
from canhgac.store.hunt_registry import event_hunt
from canhgac.store.sqlite.store import SQLiteStore
from canhgac.timeutil import from_iso
from tests.support.stores import BOTH_STORES, store_with

START = "2026-11-27T00:00:00.000000Z"
END = "2026-11-28T00:00:00.000000Z"
IP = ENTITY_KINDS["ip"]


def _event(event_id: str, hour: int, **fields: object) -> Event:
    names = {"source": "source.ip", "destination": "destination.ip", "host": "host.name"}
    doc = {names[key]: value for key, value in fields.items()}
    stamp = f"2026-11-27T{hour:02d}:00:00.000000Z" if hour >= 0 else "2026-11-26T23:00:00.000000Z"
    return Event(event_id, {"@timestamp": stamp, "event.dataset": "fw", **doc})


EVENTS = [
    _event("a1", 1, source="10.9.0.1", destination="10.9.0.2", host="fw01"),
    _event("a2", 2, destination="10.9.0.1", host="fw02"),  # destination only
    _event("a3", 3, source="2001:DB8::7", host="fw01"),  # stored in capitals
    _event("a4", 4, source="10.9.0.10", destination="10.9.0.11"),  # a longer address
    _event("a5", 5, host="fw01"),  # no address at all
    _event("a6", 6, source="10.9.0.2", destination="2001:db8::7"),
    _event("a7", -1, destination="10.9.0.1"),  # before the range
]
#: address -> the events its page counts, newest first.
EXPECTED = {
    "10.9.0.1": ["a2", "a1"],
    "10.9.0.2": ["a6", "a1"],
    "2001:db8::7": ["a6", "a3"],
    "2001:DB8::7": ["a6", "a3"],
    "10.9.0.11": ["a4"],
    "10.9.0.9": [],
}


@pytest.fixture(scope="module", params=BOTH_STORES)
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    yield from store_with(request.param, tmp_path_factory.mktemp("entity-ip"), EVENTS)


@pytest.mark.parametrize("address", list(EXPECTED))
def test_the_ip_page_counts_source_and_destination_in_any_case(store: Store, address: str) -> None:
    view = entity_view(store, IP, address, from_iso(START), from_iso(END))
    expected = EXPECTED[address]
    assert view.total == len(expected)
    assert sum(hits for _, hits in view.histogram) == len(expected)
    assert (view.last_seen.id if view.last_seen else None) == (expected[0] if expected else None)
    assert (view.first_seen.id if view.first_seen else None) == (expected[-1] if expected else None)


def _ids(store: Store, query: object) -> list[str]:
    page = event_hunt(store).page(HuntRequest(query, START, END), None, 100)
    return [event.id for event in page.events]


@pytest.mark.parametrize("address", list(EXPECTED))
def test_the_sqlite_address_query_finds_what_the_search_text_finds(
    store: Store, address: str
) -> None:
    hunt = event_hunt(store)
    faster = hunt.address_condition(IP.fields, address)
    if store.query_language != "sqlite":
        assert faster is None  # its term queries on ip fields are the fast way already
        return
    assert faster is not None
    text = HUNT_COMPILERS.get("sqlite")(parse(entity_query(IP, address)))
    assert _ids(store, faster) == _ids(store, text) == EXPECTED[address]


def test_sqlite_has_no_address_query_for_other_fields_or_non_ascii(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "x.db")
    try:
        hunt = event_hunt(store)
        assert hunt.address_condition(("host.name",), "10.0.0.1") is None
        assert hunt.address_condition(("source.ip",), "10.0.0.１") is None
        assert hunt.address_condition((), "10.0.0.1") is None
    finally:
        store.close()


def test_the_sqlite_address_query_seeks_both_address_indexes(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "plan.db")
    try:
        condition = event_hunt(store).address_condition(IP.fields, "10.9.0.1")
    finally:
        store.close()
    assert condition is not None
    conn = sqlite3.connect(tmp_path / "plan.db")
    try:
        plan = conn.execute(
            f"EXPLAIN QUERY PLAN SELECT count(*) FROM events WHERE ts >= ? AND ts < ?"
            f" AND {condition.sql}",
            [START, END, *condition.params],
        ).fetchall()
    finally:
        conn.close()
    details = " ".join(str(row[-1]) for row in plan)
    assert "MULTI-INDEX OR" in details
    assert "events_by_source_ip" in details and "events_by_destination_ip" in details


def test_an_older_database_gains_the_destination_column_and_index(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    SQLiteStore(path).close()
    # The events table as versions before the address indexes made it.
    conn = sqlite3.connect(path)
    conn.executescript(
        "DROP TABLE events;"
        "CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, ts TEXT NOT NULL,"
        " ingested TEXT NOT NULL, dataset TEXT, host TEXT, user_name TEXT, source_ip TEXT,"
        " original TEXT, doc TEXT NOT NULL);"
        "CREATE INDEX events_source_ip ON events(source_ip, ts);"
        "INSERT INTO events (id, ts, ingested, doc) VALUES ('old', '2026-11-27T01:00:00.000000Z',"
        " '2026-11-27T01:00:01.000000Z', '{\"destination.ip\": \"10.9.0.1\"}');"
    )
    conn.close()
    store = SQLiteStore(path)
    try:
        view = entity_view(store, IP, "10.9.0.1", from_iso(START), from_iso(END))
        assert view.total == 1 and view.last_seen is not None and view.last_seen.id == "old"
    finally:
        store.close()
    conn = sqlite3.connect(path)
    try:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        columns = {row[1] for row in conn.execute("PRAGMA table_xinfo(events)")}
    finally:
        conn.close()
    assert {"events_by_source_ip", "events_by_destination_ip"} <= names
    assert "events_source_ip" not in names and "destination_ip" in columns
