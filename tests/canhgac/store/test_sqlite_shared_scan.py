"""The SQLite store's shared passes (the SQL one and the needle automaton's): searches that
each read their whole window get their first pages from one pass, with exactly the events
(and resume keys) of searching alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from canhgac.errors import StoreError
from canhgac.models import TIMESTAMP, Event
from canhgac.store.base import EventPage, EventSearch
from canhgac.store.sqlite import needle_scan, shared_scan
from canhgac.store.sqlite.rule_query import RuleQuery
from canhgac.store.sqlite.store import SQLiteStore

START, END = "2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z"
# A field inside the document: no index narrows these, each reads the whole window.
NOISY = "doc LIKE '%sshd%'"
RARE = "doc LIKE '%sudo%'"
RARER = "doc LIKE '%4720%'"
NARROW = "dataset = 'windows.security' COLLATE NOCASE"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    clock = (f"2026-03-01T10:{m // 60:02d}:{m % 60:02d}.000000Z" for m in range(10_000))
    db = SQLiteStore(
        tmp_path / "events.db", now=lambda: next(clock), search_threads=2, synchronous="OFF"
    )
    events = []
    for n in range(300):
        process = "sudo" if n % 37 == 0 else "sshd"
        fields = {TIMESTAMP: START, "event.dataset": "system.auth", "process.name": process}
        if n % 50 == 0:
            fields = {TIMESTAMP: START, "event.dataset": "windows.security", "event.code": "4720"}
        events.append(Event(f"e{n:03d}", fields))
    for batch in range(0, 300, 10):  # ten events per ingestion stamp: keys tie on it
        db.write_events(events[batch : batch + 10])
    yield db
    db.close()


def every_event(store: SQLiteStore, query: str, limit: int, *, batch: list[str]) -> list[str]:
    """All events of ``query``, the first page asked in a batch with the others of ``batch``."""
    searches = [EventSearch(q, START, END, limit=limit) for q in batch]
    page = store.search_events_batch(searches)[batch.index(query)]
    assert isinstance(page, EventPage)
    ids = [e.id for e in page.events]
    while page.after is not None:
        page = store.search_events(query, START, END, after=page.after, limit=limit)
        ids += [e.id for e in page.events]
    return ids


def alone(store: SQLiteStore, query: str) -> list[str]:
    return [e.id for e in store.search_events(query, START, END, limit=10_000).events]


def test_only_searches_that_read_the_whole_window_join_the_pass(store: SQLiteStore) -> None:
    assert shared_scan.reads_whole_window(store._execute, RARE)
    assert not shared_scan.reads_whole_window(store._execute, NARROW)
    assert not shared_scan.reads_whole_window(store._execute, "no_such_column = 1")
    searches = [EventSearch(q, START, END) for q in (NOISY, NARROW, RARE, RARER)]
    searches.append(EventSearch(RARE, START, END, after=("2026", "e")))  # a later page
    assert store._shared_passes(searches) == [([0, 2, 3], None)]


@pytest.mark.parametrize("limit", [1, 5, 7, 1000])
def test_paging_from_a_shared_first_page_finds_what_searching_alone_finds(
    store: SQLiteStore, limit: int
) -> None:
    batch = [NOISY, RARE, RARER, NARROW]
    for query in batch:
        assert every_event(store, query, limit, batch=batch) == alone(store, query)


def test_a_noisy_search_stops_the_pass_and_the_others_resume_after_the_last_row_read(
    store: SQLiteStore,
) -> None:
    searches = [EventSearch(NOISY, START, END, limit=2), EventSearch(RARER, START, END, limit=50)]
    noisy, rarer = shared_scan.first_pages(store._execute, searches)
    assert [e.id for e in noisy.events] == alone(store, NOISY)[:2]
    # Two rows for the noisy search, then fifty it no longer wants: the pass gives up.
    assert rarer.after is not None and rarer.after[1] < "e100"
    assert [e.id for e in rarer.events] == [i for i in alone(store, RARER) if i <= rarer.after[1]]


def test_a_failing_query_fails_alone(store: SQLiteStore) -> None:
    broken = "json_extract(doc, '$.\"process.name\"') REGEXP '('"
    pages = store.search_events_batch(
        [EventSearch(RARE, START, END), EventSearch(broken, START, END)]
    )
    assert isinstance(pages[1], StoreError)
    assert isinstance(pages[0], EventPage)
    assert [e.id for e in pages[0].events] == alone(store, RARE)


# The same searches with the needles their prefilters require (as the compiler passes them),
# one without any, and one whose needle is in no document.
NEEDLED = [
    RuleQuery(NOISY, [["%sshd%"]]),
    RuleQuery(RARE, [["%sudo%"]]),
    RuleQuery(RARER, [["%4720%"], ["%windows.security%", "%nothing%"]]),
    NARROW,
    RuleQuery("doc LIKE '%absent%'", [["%absent%"]]),
]


@pytest.mark.parametrize("limit", [1, 5, 7, 1000])
def test_the_needle_pass_pages_like_searching_alone(store: SQLiteStore, limit: int) -> None:
    searches = [EventSearch(q, START, END, limit=limit) for q in NEEDLED]
    pages = needle_scan.first_pages(store._execute, searches)
    for query, page in zip(NEEDLED, pages, strict=True):
        ids = [e.id for e in page.events]
        while page.after is not None:
            page = store.search_events(query, START, END, after=page.after, limit=limit)
            ids += [e.id for e in page.events]
        assert ids == alone(store, query), query


def test_the_needle_pass_checks_candidates_a_chunk_at_a_time(
    store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(needle_scan, "CHUNK", 7)
    monkeypatch.setattr(needle_scan, "MAX_PENDING", 5)  # checked before a chunk is read too
    monkeypatch.setattr(needle_scan, "SAMPLE", 3)
    searches = [EventSearch(q, START, END, limit=4) for q in NEEDLED]
    pages = needle_scan.first_pages(store._execute, searches)
    assert [[e.id for e in p.events] for p in pages] == [alone(store, q)[:4] for q in NEEDLED]
    assert [p.after is not None for p in pages] == [len(alone(store, q)) >= 4 for q in NEEDLED]
    assert not alone(store, NEEDLED[-1])


def test_many_searches_go_to_the_needle_pass_and_a_failing_one_fails_alone(
    store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(needle_scan, "WORTH_SCANS", 1)
    broken = RuleQuery("json_extract(doc, '$.\"process.name\"') REGEXP '('", [["%sudo%"]])
    pages = store.search_events_batch(
        [EventSearch(NEEDLED[1], START, END), EventSearch(broken, START, END)]
    )
    assert isinstance(pages[1], StoreError)
    assert isinstance(pages[0], EventPage)
    assert [e.id for e in pages[0].events] == alone(store, RARE)


AUTH = frozenset({"system.auth"})
PINNED = [
    RuleQuery(f"dataset = 'system.auth' COLLATE NOCASE AND {NOISY}", [["%sshd%"]], AUTH),
    RuleQuery(f"dataset = 'System.Auth' COLLATE NOCASE AND {RARE}", [["%sudo%"]], AUTH),
    RuleQuery(f"dataset = 'system.auth' COLLATE NOCASE AND {RARER}", [["%4720%"]], AUTH),
]


def test_searches_pinned_to_the_same_datasets_share_a_pass(store: SQLiteStore) -> None:
    searches = [EventSearch(q, START, END) for q in (*PINNED, NOISY, RARE)]
    searches.append(EventSearch(RuleQuery(NARROW, [], {"windows.security"}), START, END))
    assert store._shared_passes(searches) == [([0, 1, 2], AUTH), ([3, 4], None)]


@pytest.mark.parametrize("scan", [shared_scan, needle_scan])
@pytest.mark.parametrize("limit", [1, 5, 1000])
def test_a_pass_over_datasets_pages_like_searching_alone(
    store: SQLiteStore, scan: Any, limit: int
) -> None:
    searches = [EventSearch(q, START, END, limit=limit) for q in PINNED]
    for query, page in zip(PINNED, scan.first_pages(store._execute, searches, AUTH), strict=True):
        ids = [e.id for e in page.events]
        while page.after is not None:
            page = store.search_events(query, START, END, after=page.after, limit=limit)
            ids += [e.id for e in page.events]
        assert ids == alone(store, query), query
    assert alone(store, PINNED[1]) and not alone(store, PINNED[2])
