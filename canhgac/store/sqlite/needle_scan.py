"""One pass over a window for many searches at once, each row read by one automaton.

The first pages of searches that would each read their whole window (see
:mod:`canhgac.store.sqlite.shared_scan`) share one read of the window's documents. When many
of them carry needles (:class:`~canhgac.store.sqlite.rule_query.RuleQuery`), the pass does not
ask SQLite to evaluate every search on every row: one Aho-Corasick read of each document
names the searches it may match (:mod:`canhgac.store.sqlite.needles`), and each search's own
SQL then runs only on its candidate rows, a chunk of rows at a time. 128 SigmaHQ Windows rules
over 100,000 events (``bench/bench_detect_peers.py``): 16.3 s of CPU with every rule's LIKEs on
every row, 3.5 s with the automaton, the same matches rule by rule. With few searches SQLite's
own pass is faster (the automaton reads every byte of every document); the store picks.

Pages are what :func:`canhgac.store.sqlite.events.search` would return: rows are read in
(ingested, id) order, a search's page holds its first ``limit`` matches, and a full page
resumes after its last row like any other; a search still open when the window is read to
its end is complete.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from canhgac.errors import StoreError
from canhgac.store.base import EventPage, EventSearch
from canhgac.store.sqlite.events import row_event
from canhgac.store.sqlite.needles import needle_set
from canhgac.store.sqlite.rule_query import needles_of
from canhgac.store.sqlite.shared_scan import Datasets, Execute, scope

_FETCH = 512
# Rows read before the candidates are checked by SQL: fewer statements, a bounded list.
CHUNK = 20_000
# Candidates held before they are checked, whatever the rows read: many searches whose
# needles are in every document must not hold a chunk's rows each.
MAX_PENDING = 100_000
# Documents that pick each search's rarest clause (needles.needle_set).
SAMPLE = 2_000
# The LIKE scans per row above which one automaton read of the row costs less: measured on
# the project pack (bench/bench_detect.py): nine web rules testing 82 needles first, 0.87 s
# with the automaton against 1.39 s; the Linux auth rules' 8, 0.78 s against 0.35 s.
WORTH_SCANS = 48


def worth_it(searches: Sequence[EventSearch]) -> bool:
    """Whether one automaton read of each row beats SQLite's pass, which runs on every row
    each search's first clause (its fewest needles, the ones it tests first)."""
    scans = sum(len(clauses[0]) for s in searches if (clauses := needles_of(s.query)))
    return scans >= WORTH_SCANS


def first_pages(
    execute: Execute, searches: Sequence[EventSearch], datasets: Datasets = None
) -> list[EventPage]:
    """The first page of each search (all over one window, none resuming), in one pass over
    the window's rows (within ``datasets`` when given)."""
    rows_of, params = scope(searches[0], datasets)
    scan = ChunkedSearch(execute, searches)
    try:
        cursor = execute(
            f"SELECT seq, CAST(doc AS BLOB) FROM events WHERE {rows_of} ORDER BY ingested, id",
            params,
        )
        rows = cursor.fetchmany(SAMPLE)
        needles = needle_set(
            [needles_of(search.query) for search in searches], [doc.lower() for _, doc in rows]
        )
        read = held = 0
        while rows and scan.open:
            for seq, doc in rows:
                for number in needles.candidates(doc) if needles else scan.open:
                    scan.pending[number].append(seq)
                    held += 1
            read += len(rows)
            if read >= CHUNK or held >= MAX_PENDING:
                scan.check()
                read = held = 0
            rows = cursor.fetchmany(_FETCH)
        cursor.close()
        scan.check()
    except sqlite3.Error as exc:
        raise StoreError(f"SQLite query failed: {exc}") from exc
    return scan.pages()


def candidates_sql(query: str) -> str:
    """A search's first matches among candidate rows (a JSON list of ``seq``, then a limit).

    ``NOT INDEXED``: each candidate is looked up by its ``seq`` (the rowid, which that
    clause still allows). Without it, SQLite may read a search pinned to datasets through
    their index and test every row of them against the list: 30 ms a check instead of 0.1
    for one of the web rules over 166,000 nginx rows."""
    return (
        "SELECT id, ingested, doc, original FROM events NOT INDEXED"
        " WHERE seq IN (SELECT value FROM json_each(?))"
        f" AND ({query}) ORDER BY ingested, id LIMIT ?"
    )


class ChunkedSearch:
    """The searches' pages as their candidate rows are checked, chunk after chunk."""

    def __init__(self, execute: Execute, searches: Sequence[EventSearch]) -> None:
        self._execute = execute
        self._searches = searches
        self.open = set(range(len(searches)))
        self.pending: list[list[int]] = [[] for _ in searches]
        self._found: list[list[Any]] = [[] for _ in searches]
        self._resume: list[tuple[str, str] | None] = [None] * len(searches)

    def check(self) -> None:
        """Run each open search's SQL on its pending candidates (in page order); a closed
        search's candidates are dropped."""
        for number, seqs in enumerate(self.pending):
            self.pending[number] = []
            if seqs and number in self.open:
                self._check(number, seqs)

    def _check(self, number: int, seqs: list[int]) -> None:
        search, found = self._searches[number], self._found[number]
        rows = self._execute(
            candidates_sql(search.query),
            ("[" + ",".join(map(str, seqs)) + "]", search.limit - len(found)),
        ).fetchall()
        found.extend(rows)
        if len(found) == search.limit:
            self._resume[number] = (found[-1][1], found[-1][0])
            self.open.discard(number)

    def pages(self) -> list[EventPage]:
        return [
            EventPage([row_event(*row) for row in rows], after)
            for rows, after in zip(self._found, self._resume, strict=True)
        ]
