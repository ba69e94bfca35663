"""Data health in the SQLite store: one ``GROUP BY`` over an hour's events, a table of buckets.

The hour's events are read once through the ``events_ingested`` index, and each event's JSON
document is parsed once (one ``json_extract`` with every path health reads). Events never
hold a JSON null (the JSON parser drops them), so a path that is null is a field that is
absent, as Elasticsearch's ``exists`` sees it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any, cast

from canhgac.errors import StoreError
from canhgac.health.fields import (
    ADDRESS_FIELD,
    FUTURE_TOLERANCE_S,
    GENERIC_FIELDS,
    KEY_FIELDS,
    MODULE_FIELD,
    RAW_MODULE,
    SEQUENCE_FIELDS,
    SOURCE_FIELD,
    host_of_peer,
    reason_class,
)
from canhgac.health.model import DeadLetterSample, EventSample, HealthBucket, SourceKey
from canhgac.store.health import HealthStore
from canhgac.store.sqlite.db import SQLiteDatabase
from canhgac.timeutil import now_iso

SCHEMA = """
CREATE TABLE IF NOT EXISTS health_buckets (
    hour TEXT NOT NULL,
    source TEXT NOT NULL,
    host TEXT NOT NULL,
    dataset TEXT NOT NULL,
    computed_at TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (hour, source, host, dataset)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS health_buckets_key ON health_buckets(source, host, dataset, hour);
CREATE TABLE IF NOT EXISTS health_probe (id INTEGER PRIMARY KEY, at TEXT NOT NULL);
"""
SAMPLE_CHARS = 2000


def _json_path(name: str) -> str:
    return f"'$.\"{name}\"'"


# Every field health reads, extracted with one parse of the document: json_extract with
# several paths returns a small JSON array, which the expressions below index. (Substring
# tests on the document are no cheaper: SQLite's instr() steps through UTF-8 text.)
_PATHS: tuple[str, ...] = tuple(
    dict.fromkeys(
        (
            SOURCE_FIELD,
            ADDRESS_FIELD,
            MODULE_FIELD,
            *SEQUENCE_FIELDS,
            *(name for names in KEY_FIELDS.values() for name in names),
            *GENERIC_FIELDS,
        )
    )
)


def _at(name: str) -> str:
    return f"json_extract(prov, '$[{_PATHS.index(name)}]')"


_RAW = f"coalesce({_at(MODULE_FIELD)} = '{RAW_MODULE}', 0)"


def _understood_sql() -> str:
    """SQL over ``prov`` and ``dataset``: 1 when the event has its dataset's key fields."""
    known = " ".join(
        f"WHEN '{dataset}' THEN ({' AND '.join(f'{_at(name)} IS NOT NULL' for name in names)})"
        for dataset, names in KEY_FIELDS.items()
    )
    indexes = ", ".join(f"'$[{_PATHS.index(name)}]'" for name in GENERIC_FIELDS)
    nothing = "[" + ",".join(["null"] * len(GENERIC_FIELDS)) + "]"
    # A known dataset's key fields are never set on a raw event, so only the other datasets
    # need the raw test.
    generic = f"json_extract(prov, {indexes}) != '{nothing}'"
    return f"(CASE dataset {known} ELSE (NOT {_RAW} AND {generic}) END)"


_PROVENANCE = "json_extract(doc, {})".format(", ".join(_json_path(name) for name in _PATHS))
_SEQUENCE = "coalesce({})".format(", ".join(_at(name) for name in SEQUENCE_FIELDS))
# A sequence number counts only when it is a plain non-negative integer (as the Elasticsearch
# mapping's ``long`` with ignore_malformed would index it).
_SEQUENCE_NUMBER = (
    "CASE WHEN typeof(s) = 'integer' AND s >= 0 THEN s"
    " WHEN typeof(s) = 'text' AND length(s) BETWEEN 1 AND 18 AND s NOT GLOB '*[^0-9]*'"
    " THEN CAST(s AS INTEGER) END"
)
# Levels: parse the document once (prov), then read its parts. ``LIMIT -1`` keeps SQLite from
# flattening a level into the next, which would copy the json_extract into every reference
# to ``prov`` and parse the document once per reference.
_ROWS = """
SELECT {prov} AS prov, host, dataset, ingested, ts, id, original
FROM events WHERE ingested >= ? AND ingested < ? LIMIT -1
"""
_EVENTS = f"""
SELECT coalesce({_at(SOURCE_FIELD)}, '') AS source,
       coalesce(host, {_at(ADDRESS_FIELD)}, '') AS host,
       coalesce(dataset, '') AS dataset,
       ingested, round((julianday(ingested) - julianday(ts)) * 86400.0, 3) AS skew,
       {_understood_sql()} AS understood, {_RAW} AS raw, {_SEQUENCE} AS s
FROM ({_ROWS.format(prov=_PROVENANCE)}) LIMIT -1
"""

# One pass, grouped; the median is an aggregate of this module (cg_median) because SQLite
# has none and a window function would sort the whole hour once more.
_HOUR_SQL = f"""
SELECT source, host, dataset, count(*), sum(understood), sum(raw),
       sum(skew < -{FUTURE_TOLERANCE_S}), min(ingested), max(ingested), min(skew), max(skew),
       count(DISTINCT seq), min(seq), max(seq), cg_median(skew)
FROM (SELECT *, {_SEQUENCE_NUMBER} AS seq FROM ({_EVENTS}) LIMIT -1)
GROUP BY source, host, dataset
"""


class _Median:
    """SQLite aggregate: the median of the non-null values (the mean of the two middle
    ones for an even count), as Elasticsearch's percentiles give it for small counts."""

    def __init__(self) -> None:
        self.values: list[float] = []

    def step(self, value: Any) -> None:
        if value is not None:
            self.values.append(value)

    def finalize(self) -> float | None:
        values = sorted(self.values)
        if not values:
            return None
        middle = len(values) // 2
        if len(values) % 2:
            return values[middle]
        return (values[middle - 1] + values[middle]) / 2


_LAST_SEEN_SQL = f"""
SELECT coalesce(json_extract(prov, '$[0]'), ''), coalesce(host, json_extract(prov, '$[1]'), ''),
       coalesce(dataset, ''), max(ingested)
FROM (SELECT json_extract(doc, {_json_path(SOURCE_FIELD)}, {_json_path(ADDRESS_FIELD)}) AS prov,
             host, dataset, ingested FROM events WHERE ingested >= ? LIMIT -1)
GROUP BY 1, 2, 3
"""

_NOT_UNDERSTOOD_SQL = f"""
SELECT id, ts, ingested, original FROM (
    SELECT id, ts, ingested, original, dataset, {_understood_sql()} AS understood,
           coalesce({_at(SOURCE_FIELD)}, '') AS source,
           coalesce(host, {_at(ADDRESS_FIELD)}, '') AS host
    FROM ({_ROWS.format(prov=_PROVENANCE)}) WHERE coalesce(dataset, '') = ? LIMIT -1
) WHERE source = ? AND host = ? AND NOT understood
ORDER BY ingested DESC, id LIMIT ?
"""


def _worst(low: float | None, high: float | None) -> float | None:
    if low is None or high is None:
        return None
    return low if abs(low) > abs(high) else high


def _bucket(row: Sequence[Any], hour: str, computed_at: str) -> HealthBucket:
    source, host, dataset, n, understood, raw, future, first, last, low, high = row[:11]
    distinct_seq, seq_low, seq_high, median = row[11:]
    gaps = max(0, seq_high - seq_low + 1 - distinct_seq) if distinct_seq else 0
    return HealthBucket(
        key=SourceKey(source=source, host=host, dataset=dataset),
        hour=hour,
        events=n,
        understood=understood or 0,
        raw=raw or 0,
        future=future or 0,
        first_ingested=first,
        last_ingested=last,
        skew_median_s=None if median is None else round(median, 3),
        skew_worst_s=_worst(low, high),
        sequenced=distinct_seq or 0,
        sequence_gaps=gaps,
        computed_at=computed_at,
    )


class SQLiteHealth(HealthStore):
    """:class:`HealthStore` over the SQLite store's database."""

    def __init__(self, db: SQLiteDatabase) -> None:
        self._db = db
        db.executescript(SCHEMA)

    def compute(self, start: str, end: str, *, computed_at: str) -> list[HealthBucket]:
        # Registered on this thread's connection (connections are opened per thread).
        # (cast: typeshed declares an aggregate's finalize() as returning int only)
        self._db.conn().create_aggregate("cg_median", 1, cast(Any, _Median))
        rows = self._db.read(_HOUR_SQL, (start, end))
        buckets = {
            bucket.key: bucket for bucket in (_bucket(row, start, computed_at) for row in rows)
        }
        for key, reasons in self._dead_letters(start, end).items():
            bucket = buckets.get(key) or HealthBucket(key=key, hour=start, computed_at=computed_at)
            bucket.dead_letters = sum(reasons.values())
            bucket.dead_letter_reasons = reasons
            buckets[key] = bucket
        return sorted(buckets.values(), key=lambda b: (b.key.source, b.key.host, b.key.dataset))

    def _dead_letters(self, start: str, end: str) -> dict[SourceKey, dict[str, int]]:
        rows = self._db.read(
            "SELECT source, json_extract(context, '$.peer'), reason, count(*) FROM dead_letters"
            " WHERE received_at >= ? AND received_at < ? GROUP BY 1, 2, 3",
            (start, end),
        )
        found: dict[SourceKey, dict[str, int]] = {}
        for source, peer, reason, count in rows:
            peer_text = peer if isinstance(peer, str) else None
            key = SourceKey(source=source, host=host_of_peer(peer_text) or "")
            reasons = found.setdefault(key, {})
            kind = reason_class(reason)
            reasons[kind] = reasons.get(kind, 0) + int(count)
        return found

    def save_hour(self, hour: str, buckets: Sequence[HealthBucket]) -> None:
        stored = list(buckets) or [HealthBucket(key=SourceKey(), hour=hour, computed_at=now_iso())]
        with self._db.write() as conn:
            conn.execute("DELETE FROM health_buckets WHERE hour = ?", (hour,))
            conn.executemany(
                "INSERT INTO health_buckets (hour, source, host, dataset, computed_at, doc)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        hour,
                        b.key.source,
                        b.key.host,
                        b.key.dataset,
                        b.computed_at,
                        b.model_dump_json(),
                    )
                    for b in stored
                ],
            )

    def buckets(self, since: str, until: str, key: SourceKey | None = None) -> list[HealthBucket]:
        sql = "SELECT doc FROM health_buckets WHERE hour >= ? AND hour < ?"
        params: list[str] = [since, until]
        if key is not None:
            sql += " AND source = ? AND host = ? AND dataset = ?"
            params += [key.source, key.host, key.dataset]
        rows = self._db.read(sql + " ORDER BY hour, source, host, dataset", params)
        found = [HealthBucket.model_validate_json(row[0]) for row in rows]
        return [b for b in found if b.key != SourceKey() or key == SourceKey()]

    def computed_hours(self, since: str, until: str) -> dict[str, str]:
        rows = self._db.read(
            "SELECT hour, max(computed_at) FROM health_buckets WHERE hour >= ? AND hour < ?"
            " GROUP BY hour",
            (since, until),
        )
        return {str(hour): str(at) for hour, at in rows}

    def last_seen(self, since: str) -> dict[SourceKey, str]:
        rows = self._db.read(_LAST_SEEN_SQL, (since,))
        return {
            SourceKey(source=source, host=host, dataset=dataset): last
            for source, host, dataset, last in rows
        }

    def dead_letter_samples(
        self, source: str, since: str, until: str, *, reasons: int = 10, per_reason: int = 3
    ) -> list[DeadLetterSample]:
        rows = self._db.read(
            "SELECT reason, count(*) FROM dead_letters WHERE source = ? AND received_at >= ?"
            " AND received_at < ? GROUP BY reason",
            (source, since, until),
        )
        counts: dict[str, int] = {}
        examples: dict[str, list[str]] = {}
        for reason, count in rows:
            kind = reason_class(reason)
            counts[kind] = counts.get(kind, 0) + int(count)
            examples.setdefault(kind, []).append(reason)
        top = sorted(counts, key=lambda kind: (-counts[kind], kind))[:reasons]
        return [
            DeadLetterSample(
                reason_class=kind,
                count=counts[kind],
                samples=self._raw_lines(source, since, until, examples[kind], per_reason),
            )
            for kind in top
        ]

    def _raw_lines(
        self, source: str, since: str, until: str, reasons: list[str], limit: int
    ) -> list[str]:
        marks = ",".join("?" * len(reasons))
        rows = self._db.read(
            f"SELECT raw FROM dead_letters WHERE source = ? AND received_at >= ?"
            f" AND received_at < ? AND reason IN ({marks}) ORDER BY received_at DESC LIMIT ?",
            [source, since, until, *reasons, limit],
        )
        return [bytes(row[0]).decode("utf-8", "replace")[:SAMPLE_CHARS] for row in rows]

    def not_understood_samples(
        self, key: SourceKey, since: str, until: str, *, limit: int = 10
    ) -> list[EventSample]:
        rows = self._db.read(
            _NOT_UNDERSTOOD_SQL, (since, until, key.dataset, key.source, key.host, limit)
        )
        return [
            EventSample(
                id=r[0], timestamp=r[1], ingested=r[2], original=(r[3] or "")[:SAMPLE_CHARS]
            )
            for r in rows
        ]

    def prune(self, before: str) -> int:
        with self._db.write() as conn:
            return conn.execute("DELETE FROM health_buckets WHERE hour < ?", (before,)).rowcount

    def probe_write(self) -> None:
        with self._db.write() as conn:
            conn.execute("INSERT OR REPLACE INTO health_probe (id, at) VALUES (1, ?)", (now_iso(),))


def check_integrity(db: SQLiteDatabase) -> None:
    """``PRAGMA quick_check``: refuse a corrupt database file with a clear error instead of
    failing on some later write (or, worse, answering searches from a damaged index)."""
    try:
        rows = db.conn().execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"SQLite database {db.path} is not usable: {exc}") from exc
    problems = [str(row[0]) for row in rows if row[0] != "ok"]
    if problems:
        shown = "; ".join(problems[:5])
        raise StoreError(
            f"SQLite database {db.path} is corrupt (PRAGMA quick_check: {shown}); restore it"
            " from a backup or move it away to start with an empty one"
        )
