"""One pass over a window for the searches that would each read all of it.

When no index narrows a search, reading each event's row (its JSON document) is most of
what the search costs; the LIKE prefilters that follow are cheap. A rule whose log source is
a field inside the document (a Windows channel, ``process.name: sudo``) reads every event of
its window, and searched one by one, the pack's eleven such rules read the window eleven
times. Their first pages are answered by one pass instead, which evaluates every search's
condition on each row it reads (at 250,000 events: 0.66 s instead of 1.79 s for the eleven).

A search joins the pass when SQLite plans it as a read of the whole window through the
ingestion index (:func:`reads_whole_window`), and only for its first page: later pages go on
their own. Searches pinned to the same datasets (:class:`~canhgac.store.sqlite.rule_query.
RuleQuery`: the nine web-access rules read nginx and apache rows) share a pass over those
datasets' rows the same way. The pass stops when every
search has its page, or once it has read a page's worth of rows that no unfinished search
wanted (a noisy rule must not make the others read its matches); a search without a full
page then resumes after the last row read, a key the next page starts from like any other.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from canhgac.errors import StoreError
from canhgac.store.base import EventPage, EventSearch
from canhgac.store.sqlite.events import row_event

#: A cursor over the rows of ``sql`` with ``params`` (the calling thread's connection).
Execute = Callable[[str, Sequence[Any]], sqlite3.Cursor]

WINDOW = "ingested >= ? AND ingested < ?"
#: Datasets a pass reads (lowercase); None: every row of the window.
Datasets = frozenset[str] | None
# The index SQLite reads a window through when nothing narrows it (schema.py).
WINDOW_INDEX = "events_ingested"
_FETCH = 256


def reads_whole_window(execute: Execute, query: str) -> bool:
    """Whether SQLite reads every row of a window to answer ``query`` (its plan searches
    the ingestion index, not one that narrows the rows)."""
    sql = f"EXPLAIN QUERY PLAN SELECT id FROM events WHERE {WINDOW} AND ({query})"
    try:
        details = [str(row[-1]) for row in execute(sql, ("", "")).fetchall()]
    except sqlite3.Error:
        return False  # the search will report its own error when it runs
    return len(details) == 1 and f"INDEX {WINDOW_INDEX} " in details[0]


def scope(search: EventSearch, datasets: Datasets) -> tuple[str, list[Any]]:
    """The condition and parameters of the rows a pass reads: the search's window, within
    ``datasets`` when given (every search of the pass is pinned to them)."""
    if not datasets:
        return WINDOW, [search.start, search.end]
    marks = ", ".join("?" * len(datasets))
    return f"dataset COLLATE NOCASE IN ({marks}) AND {WINDOW}", [
        *sorted(datasets),
        search.start,
        search.end,
    ]


def first_pages(
    execute: Execute, searches: Sequence[EventSearch], datasets: Datasets = None
) -> list[EventPage]:
    """The first page of each search (all over one window, none resuming), in one pass."""
    rows_of, params = scope(searches[0], datasets)
    limit = max(s.limit for s in searches)
    flags = ", ".join(f"CASE WHEN ({s.query}) THEN 1 ELSE 0 END" for s in searches)
    either = " OR ".join(f"({s.query})" for s in searches)
    sql = (
        f"SELECT id, ingested, doc, original, {flags} FROM events"
        f" WHERE {rows_of} AND ({either}) ORDER BY ingested, id"
    )
    found: list[list[Any]] = [[] for _ in searches]
    resume: list[tuple[str, str] | None] = [None] * len(searches)
    open_ = set(range(len(searches)))
    wasted = 0
    last: tuple[str, str] | None = None
    exhausted = False
    try:
        cursor = execute(sql, params)
        while open_ and wasted < limit:
            rows = cursor.fetchmany(_FETCH)
            if not rows:
                exhausted = True
                break
            for row in rows:
                wanted = [i for i in open_ if row[4 + i]]
                wasted += not wanted
                for i in wanted:
                    found[i].append(row)
                    if len(found[i]) == searches[i].limit:
                        resume[i] = (row[1], row[0])
                        open_.discard(i)
                last = (row[1], row[0])
                if not open_ or wasted >= limit:
                    break
        cursor.close()
    except sqlite3.Error as exc:
        raise StoreError(f"SQLite query failed: {exc}") from exc
    for i in open_:  # read to the end: complete; stopped early: resume after the last row
        resume[i] = None if exhausted else last
    return [
        EventPage([row_event(*row[:4]) for row in rows], after)
        for rows, after in zip(found, resume, strict=True)
    ]
