"""Data health in the SQLite store: an hour's buckets merged from the tallies written with the
events, a table of buckets.

The numbers of each write batch and source key are tallied when the events are stored
(:mod:`canhgac.store.sqlite.health_batches`), so an hour is a few hundred small rows, not every
event's JSON document parsed again, and liveness is one row per key (``source_last_seen``).

A database made before the tallies existed keeps its older events untallied: the boundary (the
last event then) is noted when the tables are made, and those events are tallied from their
documents whenever an hour or a liveness scan reaches back to them. Only the samples of events
not understood, read for one key on demand, parse documents in SQL (events never hold a JSON
null, so a path that is null is a field that is absent, as Elasticsearch's ``exists`` sees it).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from itertools import groupby
from operator import itemgetter
from typing import Any

from canhgac.errors import StoreError
from canhgac.health.fields import (
    ADDRESS_FIELD,
    GENERIC_FIELDS,
    KEY_FIELDS,
    MODULE_FIELD,
    RAW_MODULE,
    SOURCE_FIELD,
    host_of_peer,
    key_parts,
    reason_class,
)
from canhgac.health.model import DeadLetterSample, EventSample, HealthBucket, SourceKey
from canhgac.store.health import HealthStore
from canhgac.store.sqlite.db import SQLiteDatabase
from canhgac.store.sqlite.health_batches import COLUMNS, merge_rows
from canhgac.store.sqlite.health_batches import SCHEMA as TALLY_SCHEMA
from canhgac.store.sqlite.health_tally import Key, Tally, merge, tally
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
# name -> value: "legacy_seq" and "legacy_until", the last untallied event (see _prepare).
_META_SCHEMA = "CREATE TABLE IF NOT EXISTS health_meta (name TEXT PRIMARY KEY, value NOT NULL)"
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
# Levels: parse the document once (prov), then read its parts. ``LIMIT -1`` keeps SQLite from
# flattening a level into the next, which would copy the json_extract into every reference
# to ``prov`` and parse the document once per reference.
_ROWS = """
SELECT {prov} AS prov, host, dataset, ingested, ts, id, original
FROM events WHERE ingested >= ? AND ingested < ? LIMIT -1
"""
_HOUR_SQL = f"SELECT {COLUMNS} FROM health_batches WHERE ingested >= ? AND ingested < ?"
# Events stored before the store tallied them at write time (see _legacy_boundary).
_LEGACY_SQL = "SELECT ingested, doc FROM events WHERE ingested >= ? AND ingested < ? AND seq <= ?"
_BATCH = 2000
_AFTER_ALL = "\U0010ffff"  # sorts after every time string

_NOT_UNDERSTOOD_SQL = f"""
SELECT id, ts, ingested, original FROM (
    SELECT id, ts, ingested, original, dataset, {_understood_sql()} AS understood,
           coalesce({_at(SOURCE_FIELD)}, '') AS source,
           coalesce(nullif(host, ''), nullif({_at(ADDRESS_FIELD)}, ''), '') AS host
    FROM ({_ROWS.format(prov=_PROVENANCE)}) WHERE coalesce(dataset, '') = ? LIMIT -1
) WHERE source = ? AND host = ? AND NOT understood
ORDER BY ingested DESC, id LIMIT ?
"""


class SQLiteHealth(HealthStore):
    """:class:`HealthStore` over the SQLite store's database."""

    def __init__(self, db: SQLiteDatabase) -> None:
        self._db = db
        db.executescript(SCHEMA)
        self._legacy_seq, self._legacy_until = _prepare(db)

    def compute(self, start: str, end: str, *, computed_at: str) -> list[HealthBucket]:
        tallies: dict[Key, Tally] = {}
        if self._legacy_seq is not None and start <= self._legacy_until:
            self._tally_legacy(start, end, tallies)
        # Row by row (an hour holds a row per write batch and key: 360,000 at 300 events/s).
        merge_rows(self._rows(_HOUR_SQL, (start, end)), tallies)
        buckets = {
            bucket.key: bucket
            for bucket in (part.bucket(key, start, computed_at) for key, part in tallies.items())
        }
        for key, reasons in self._dead_letters(start, end).items():
            bucket = buckets.get(key) or HealthBucket(key=key, hour=start, computed_at=computed_at)
            bucket.dead_letters = sum(reasons.values())
            bucket.dead_letter_reasons = reasons
            buckets[key] = bucket
        return sorted(buckets.values(), key=lambda b: (b.key.source, b.key.host, b.key.dataset))

    def _rows(self, sql: str, params: Sequence[Any]) -> Iterator[Any]:
        """The rows of ``sql``, read :data:`_BATCH` at a time, never all at once."""
        try:
            cursor = self._db.conn().execute(sql, params)
            while rows := cursor.fetchmany(_BATCH):
                yield from rows
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite query failed: {exc}") from exc

    def _legacy_events(self, start: str, end: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """(ingested, fields) of the untallied events ingested in ``[start, end)``, in order."""
        for ingested, doc in self._rows(_LEGACY_SQL, (start, end, self._legacy_seq)):
            yield ingested, json.loads(doc)

    def _tally_legacy(self, start: str, end: str, into: dict[Key, Tally]) -> None:
        for ingested, group in groupby(self._legacy_events(start, end), key=itemgetter(0)):
            merge(tally([fields for _, fields in group], ingested), into)

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
        rows = self._db.read(
            "SELECT source, host, dataset, last FROM source_last_seen WHERE last >= ?", (since,)
        )
        found: dict[Key, str] = {
            (source, host, dataset): last for source, host, dataset, last in rows
        }
        if self._legacy_seq is not None and since <= self._legacy_until:
            for ingested, fields in self._legacy_events(since, _AFTER_ALL):
                key = key_parts(fields)
                found[key] = max(found.get(key, ""), ingested)
        return {
            SourceKey(source=source, host=host, dataset=dataset): last
            for (source, host, dataset), last in found.items()
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


def _prepare(db: SQLiteDatabase) -> tuple[int | None, str]:
    """Make the tally tables; on a database whose events predate them, note the last of those
    events (they are tallied from their documents when read). Returns that event's ``seq`` and
    ``event.ingested``, or None and "" when every event is tallied."""
    with db.write() as conn:
        exists = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'health_batches'"
        ).fetchone()
        conn.execute(_META_SCHEMA)
        if not exists:
            for statement in TALLY_SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            seq, until = conn.execute("SELECT max(seq), max(ingested) FROM events").fetchone()
            if seq is not None:
                conn.executemany(
                    "INSERT OR REPLACE INTO health_meta (name, value) VALUES (?, ?)",
                    [("legacy_seq", seq), ("legacy_until", until)],
                )
    meta = dict(db.read("SELECT name, value FROM health_meta"))
    if "legacy_seq" not in meta:
        return None, ""
    return int(meta["legacy_seq"]), str(meta["legacy_until"])


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
