"""Health tallies as rows: one per write batch and source key in ``health_batches``, written
with the events, and the last arrival per key in ``source_last_seen``.

Reading an hour's events back to count them cost a third of ingest (SQLite 3.40 parses each
event's JSON document again; bench/bench_health.py), so the store counts them while it still
holds each event's fields: :func:`record` runs in the write transaction of
:func:`canhgac.store.sqlite.events.write` and adds one row per source key (counts, clock-skew
extremes, a sample of skews, sequence-number runs, see :mod:`.health_tally`). An hour's
buckets are then a merge of a few hundred rows (:func:`merge_rows`), and liveness one row per
key.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from canhgac.store.sqlite.health_tally import Key, Tally, merge, tally
from canhgac.text import dumps

SCHEMA = """
CREATE TABLE IF NOT EXISTS health_batches (
    ingested TEXT NOT NULL,
    source TEXT NOT NULL,
    host TEXT NOT NULL,
    dataset TEXT NOT NULL,
    events INTEGER NOT NULL,
    understood INTEGER NOT NULL,
    raw INTEGER NOT NULL,
    future INTEGER NOT NULL,
    skew_min INTEGER,
    skew_max INTEGER,
    -- JSON [skew_ms, weight, skew_ms, weight, ...], ordered by skew
    skews TEXT NOT NULL,
    -- JSON [low, high, low, high, ...]: runs of consecutive sequence numbers
    sequences TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS health_batches_ingested ON health_batches(ingested);
CREATE TABLE IF NOT EXISTS source_last_seen (
    source TEXT NOT NULL,
    host TEXT NOT NULL,
    dataset TEXT NOT NULL,
    last TEXT NOT NULL,
    PRIMARY KEY (source, host, dataset)
) WITHOUT ROWID;
"""


_INSERT = (
    "INSERT INTO health_batches (ingested, source, host, dataset, events, understood, raw,"
    " future, skew_min, skew_max, skews, sequences) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_SEEN = (
    "INSERT INTO source_last_seen (source, host, dataset, last) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (source, host, dataset) DO UPDATE SET last = max(last, excluded.last)"
)
COLUMNS = (
    "ingested, source, host, dataset, events, understood, raw, future, skew_min, skew_max,"
    " skews, sequences"
)


def _flat(pairs: Sequence[tuple[int, int]]) -> str:
    return dumps([number for pair in pairs for number in pair])


def _pairs(text: str) -> list[tuple[int, int]]:
    numbers = json.loads(text)
    return list(zip(numbers[::2], numbers[1::2], strict=True))


def record(conn: sqlite3.Connection, events: list[dict[str, Any]], ingested: str) -> None:
    """Tally events just stored at ``ingested`` into ``health_batches`` and move their keys'
    ``source_last_seen``, inside the caller's transaction."""
    tallies = tally(events, ingested)
    conn.executemany(
        _INSERT,
        [
            (
                ingested,
                *key,
                t.events,
                t.understood,
                t.raw,
                t.future,
                t.skew_min,
                t.skew_max,
                _flat(t.skews),
                _flat(t.runs),
            )
            for key, t in tallies.items()
        ],
    )
    conn.executemany(_SEEN, [(*key, ingested) for key in tallies])


def merge_rows(rows: Iterable[Sequence[Any]], into: dict[Key, Tally]) -> None:
    """Add ``health_batches`` rows (selected as :data:`COLUMNS`) to the tallies per key."""
    for row in rows:
        ingested, source, host, dataset, events, understood, raw, future = row[:8]
        skew_min, skew_max, skews, sequences = row[8:]
        merge(
            {
                (source, host, dataset): Tally(
                    events=events,
                    understood=understood,
                    raw=raw,
                    future=future,
                    first=ingested,
                    last=ingested,
                    skew_min=skew_min,
                    skew_max=skew_max,
                    skews=_pairs(skews),
                    runs=_pairs(sequences),
                )
            },
            into,
        )
