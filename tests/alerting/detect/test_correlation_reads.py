"""Shared reads of a round: each base query is paged through once for every correlation
that reads it, each reader gets exactly the events of its own range."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alerting.detect.correlation.reads import SharedReads, fetch_events
from canhgac.models import TIMESTAMP as TS
from canhgac.models import Event
from canhgac.store.base import EventPage
from canhgac.store.sqlite.store import SQLiteStore

MINUTES = [f"2026-03-01T10:{minute:02d}:00.000000Z" for minute in range(10)]
QUERY = "dataset = 'system.auth'"


class CountingStore(SQLiteStore):
    searches = 0

    def search_events(self, query: Any, start: str, end: str, **page: Any) -> EventPage:
        self.searches += 1
        return super().search_events(query, start, end, **page)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[CountingStore]:
    clock = iter(MINUTES)
    db = CountingStore(tmp_path / "events.db", now=lambda: next(clock))
    for minute in range(10):  # one failed login ingested per minute, plus noise
        db.write_events(
            [
                Event(f"auth{minute}", {TS: MINUTES[minute], "event.dataset": "system.auth"}),
                Event(f"web{minute}", {TS: MINUTES[minute], "event.dataset": "nginx.access"}),
            ]
        )
    yield db
    db.close()


def ids(events: list[Event]) -> list[str]:
    return [event.id for event in events]


def test_each_reader_gets_what_its_own_fetch_would_get_from_one_fetch(store: CountingStore) -> None:
    reads = SharedReads(store, page_size=3)
    ranges = [(MINUTES[2], MINUTES[9]), (MINUTES[5], MINUTES[9]), (MINUTES[7], MINUTES[9])]
    for start, end in ranges:
        reads.expect("failed", start, end)
    expected = [ids(list(fetch_events(store, QUERY, s, e, 3))) for s, e in ranges]
    store.searches = 0

    got = [ids(reads.events("failed", QUERY, start, end)) for start, end in reversed(ranges)]

    assert got == expected[::-1]
    assert got[-1] == [f"auth{m}" for m in range(2, 9)]
    assert store.searches == 3  # 7 events in pages of 3, read once for the three readers


def test_events_are_dropped_after_their_last_reader(store: CountingStore) -> None:
    reads = SharedReads(store, page_size=100)
    reads.expect("failed", MINUTES[0], MINUTES[9])
    reads.events("failed", QUERY, MINUTES[0], MINUTES[9])
    store.searches = 0
    # Not expected any more: a plain fetch, the store is asked again.
    assert ids(reads.events("failed", QUERY, MINUTES[0], MINUTES[9])) == [
        f"auth{m}" for m in range(9)
    ]
    assert store.searches == 1


def test_other_window_ends_are_read_on_their_own(store: CountingStore) -> None:
    reads = SharedReads(store, page_size=100)
    reads.expect("failed", MINUTES[0], MINUTES[5])
    reads.expect("failed", MINUTES[0], MINUTES[9])
    assert len(reads.events("failed", QUERY, MINUTES[0], MINUTES[5])) == 5
    assert len(reads.events("failed", QUERY, MINUTES[0], MINUTES[9])) == 9
    assert store.searches == 2
