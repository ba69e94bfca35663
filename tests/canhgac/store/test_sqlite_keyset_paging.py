"""Paging a window on SQLite costs the same per page whatever the page's number.

The cost is counted, not timed: SQLite's progress handler is called once per virtual-machine
instruction, so the steps of a page are what it did to produce it (rows examined included) and
do not depend on the machine's load. A page that re-read the window from its start would cost
more and more steps as its number grows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from itertools import count
from pathlib import Path
from typing import Any

import pytest

from canhgac.models import Event
from canhgac.store.base import EventPage
from canhgac.store.sqlite import events as sqlite_events
from canhgac.store.sqlite.schema import setup_connection
from canhgac.store.sqlite.store import SQLiteStore

# Many events per write: a write shares one ingest stamp, the case where only the id tells a
# page's position apart (the worst case of a bound on ``ingested`` alone).
WRITES, PER_WRITE, PAGE = 3, 8_000, 400
DATASETS = ("system.auth", "nginx.access", "fortinet.firewall")
START, END = "2000-01-01T00:00:00.000000Z", "2100-01-01T00:00:00.000000Z"


def _event(n: int) -> Event:
    return Event(
        f"evt-{(n * 7919) % 100_003:06d}-{n}",  # ids not in ingest order within a write
        {
            "@timestamp": f"2026-12-03T00:{n // 6000 % 60:02d}:{n // 100 % 60:02d}.000000Z",
            "event.dataset": DATASETS[n % 3],
            "event.original": f"dòng {n}",
            "hanoi.bench.n": n,
        },
    )


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("keyset") / "events.db"
    stamps = count(1)
    store = SQLiteStore(path, now=lambda: f"2026-12-03T01:00:{next(stamps):02d}.000000Z")
    try:
        for w in range(WRITES):
            store.write_events([_event(w * PER_WRITE + i) for i in range(PER_WRITE)])
    finally:
        store.close()
    return path


class CountingReader:
    """A read function for :func:`sqlite_events.search` that counts each query's VM steps."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path)
        setup_connection(self.conn)
        self.steps: list[int] = []
        self._current = 0
        self.conn.set_progress_handler(self._step, 1)

    def _step(self) -> int:
        self._current += 1
        return 0  # go on

    def __call__(self, sql: str, params: Sequence[Any]) -> list[Any]:
        self._current = 0
        rows = self.conn.execute(sql, params).fetchall()
        self.steps.append(self._current)
        return rows


@pytest.fixture
def reader(database: Path) -> Iterator[CountingReader]:
    counting = CountingReader(database)
    yield counting
    counting.conn.close()


def _pages(reader: CountingReader, query: str | None) -> list[EventPage]:
    pages: list[EventPage] = []
    after: tuple[str, str] | None = None
    while True:
        page = sqlite_events.search(reader, query, START, END, after=after, limit=PAGE)
        pages.append(page)
        if page.after is None:
            return pages
        after = page.after


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (None, WRITES * PER_WRITE),
        ("dataset = 'NGINX.access' COLLATE NOCASE", WRITES * PER_WRITE // 3),
        ("json_extract(doc, '$.\"hanoi.bench.n\"') % 2 = 0", WRITES * PER_WRITE // 2),
    ],
    ids=["whole-window", "dataset-index", "document-field"],
)
def test_last_page_costs_about_what_the_second_costs(
    reader: CountingReader, query: str | None, expected: int
) -> None:
    pages = _pages(reader, query)
    full = [steps for steps, page in zip(reader.steps, pages, strict=True) if page.after]
    assert len(full) >= 20, "the window must span many pages for the comparison to mean much"
    # The first page has no key (another statement); from the second on, every full page must
    # cost about the same: a re-read from the window's start would make the last one cost
    # about len(full) times the second.
    second, last = full[1], full[-1]
    assert last <= second * 1.25, f"page cost grows with the page number: {full}"
    assert max(full[1:]) <= second * 1.25, f"page cost grows with the page number: {full}"

    events = [event for page in pages for event in page.events]
    keys = [(event.fields["event.ingested"], event.id) for event in events]
    assert len(events) == expected
    assert len(set(keys)) == expected, "an event was returned twice"
    assert keys == sorted(keys), "pages must come in (ingested, id) order"


def test_a_key_before_the_window_does_not_reach_before_it(database: Path) -> None:
    reader = CountingReader(database)
    try:
        whole = _pages(reader, None)
        stamps = sorted({e.fields["event.ingested"] for p in whole for e in p.events})
        # A key from before the window's start: the window's start still bounds the page.
        page = sqlite_events.search(
            reader, None, stamps[1], END, after=(stamps[0], "zzz"), limit=PAGE
        )
    finally:
        reader.conn.close()
    assert page.events
    assert {e.fields["event.ingested"] for e in page.events} == {stamps[1]}
