"""``bench_detect.py --growth``: how one detection cycle's time grows with the events it covers.

For each size (default 0.25 M and 1 M events) it stores that many synthetic events (the
generator of bench_detect.py), runs the project pack once over one window covering them all (as
one scheduling tick) and times it. It prints each time, the growth ratio from the smallest to the
largest size and the linear goal (the ratio of the sizes plus 10 %: 4.4x for 0.25 M -> 1 M), and
whether the largest cycle meets its time goal (< 20 s for 1 M events, scaled for others).
The growth is of CPU seconds (the process's, every thread's): on a machine shared with other
work, wall time measures the neighbours too; both are printed. Each cycle runs ``--repeat``
times on fresh copies of the store and the least CPU counts (on this 2-core VM one cycle swings
by up to 20 % run to run, and a noisy neighbour only ever adds time).

``--compare-old`` also times, on an identical copy of each database, the page SQL of before
keyset paging (the window's start bound plus the key as a filter, and the dataset index without
id), so before and after are measured side by side on the same machine and load.

    .venv/bin/python bench/bench_detect.py --growth [--sizes 250000,1000000] [--repeat 3]
        [--compare-old]
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_detect import build_store
from tools.detection import timed_cycle, window_rules

from canhgac.config import DetectionConfig
from canhgac.store.base import EventPage
from canhgac.store.sqlite import events as sqlite_events
from canhgac.store.sqlite.store import SQLiteStore

GOAL_1M_S = 20.0
SLACK = 1.10  # linear growth with 10 % slack


class OldPagingStore(SQLiteStore):
    """The SQLite store with the page SQL of before keyset paging: the window's start stays
    the lower bound and the resume key is only a filter, so each page re-reads the window (or
    the rows sharing an ingest stamp) from its start."""

    def search_events(
        self,
        query: Any,
        start: str,
        end: str,
        *,
        after: tuple[str, str] | None = None,
        limit: int = 1000,
    ) -> EventPage:
        sql = "SELECT id, ingested, doc, original FROM events WHERE ingested >= ? AND ingested < ?"
        params: list[Any] = [start, end]
        if after is not None:
            sql += " AND (ingested, id) > (?, ?)"
            params.extend(after)
        if query:
            sql += f" AND ({query})"
        sql += " ORDER BY ingested, id LIMIT ?"
        params.append(limit)
        rows = self._read(sql, params)
        events = [sqlite_events.row_event(*row) for row in rows]
        last = (rows[-1][1], rows[-1][0]) if len(rows) == limit else None
        return EventPage(events, last)


def _old_indexes(path: Path) -> None:
    """Put back the dataset index of before (no id at its end) in a copy of the database."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("DROP INDEX IF EXISTS events_by_dataset")
        conn.execute(
            "CREATE INDEX IF NOT EXISTS events_dataset ON events(dataset COLLATE NOCASE, ingested)"
        )
    finally:
        conn.close()


@dataclass(frozen=True)
class Cycle:
    cpu_s: float
    wall_s: float
    matches: int


def _cycle(
    path: Path, config: DetectionConfig, synchronous: str, store_type: type[SQLiteStore]
) -> Cycle:
    """One detection cycle of the pack over every stored event."""
    rules = window_rules(config)
    store = store_type(path, synchronous=synchronous)
    try:
        if store_type is OldPagingStore:
            _old_indexes(path)  # after the store opened: its schema drops that index
        cycle = timed_cycle(store, config, rules)
    finally:
        store.close()
    return Cycle(cycle.cpu_s, cycle.wall_s, sum(report.matches for report in cycle.reports))


def measure_growth(
    config: DetectionConfig,
    sizes: Sequence[int],
    synchronous: str,
    *,
    compare_old: bool,
    repeat: int = 3,
) -> None:
    variants: list[tuple[str, type[SQLiteStore]]] = [("keyset", SQLiteStore)]
    if compare_old:
        variants.append(("old", OldPagingStore))
    times: dict[str, list[Cycle]] = {name: [] for name, _ in variants}
    with tempfile.TemporaryDirectory(prefix="canhgac-growth-") as tmp:
        for size in sizes:
            pristine = Path(tmp) / f"events-{size}.db"
            build_s = build_store(pristine, size)
            print(f"stored {size:,} events in {build_s:.1f} s")
            matches: dict[str, int] = {}
            for name, store_type in variants:
                runs = []
                for _ in range(repeat):
                    copy = Path(tmp) / f"run-{name}-{size}.db"
                    shutil.copyfile(pristine, copy)
                    runs.append(_cycle(copy, config, synchronous, store_type))
                    copy.unlink()
                cycle = min(runs, key=lambda run: run.cpu_s)
                times[name].append(cycle)
                matches[name] = cycle.matches
                if len({run.matches for run in runs}) != 1:
                    raise SystemExit(f"{name} found different matches run to run: {runs}")
                print(
                    f"  {name:>6}: {cycle.cpu_s:7.2f} s CPU, {cycle.wall_s:7.2f} s wall,"
                    f" {cycle.matches:,} matches (least of {repeat} runs:"
                    f" {', '.join(f'{run.cpu_s:.2f}' for run in runs)} s CPU)"
                )
            if len(set(matches.values())) != 1:
                raise SystemExit(f"the variants disagree on the matches: {matches}")
            pristine.unlink()
    _report(sizes, times)


def _report(sizes: Sequence[int], times: dict[str, list[Cycle]]) -> None:
    goal = sizes[-1] / sizes[0] * SLACK
    time_goal = GOAL_1M_S * sizes[-1] / 1_000_000
    print(f"\none detection cycle of the pack, synthetic events (goal: growth <= {goal:.2f}x)")
    print(
        f"{'events':>10} " + " ".join(f"{name + ' CPU':>11} {name + ' wall':>11}" for name in times)
    )
    for index, size in enumerate(sizes):
        cells = [f"{t[index].cpu_s:10.2f}s {t[index].wall_s:10.2f}s" for t in times.values()]
        print(f"{size:>10,} " + " ".join(cells))
    for name, measured in times.items():
        growth = measured[-1].cpu_s / measured[0].cpu_s
        wall = measured[-1].wall_s / measured[0].wall_s
        verdict = "OK" if growth <= goal else "SUPER-LINEAR"
        print(
            f"growth {name}: {growth:.2f}x CPU ({wall:.2f}x wall) for"
            f" {sizes[-1] / sizes[0]:.1f}x events: {verdict}"
        )
    largest = times["keyset"][-1].cpu_s
    verdict = "OK" if largest < time_goal else "SLOW"
    print(f"largest cycle {largest:.2f} s CPU (goal < {time_goal:.1f} s at this size): {verdict}")
    if "old" in times:
        old = times["old"][-1].cpu_s
        print(f"old / keyset at {sizes[-1]:,} events: {old / largest:.2f}x CPU")
