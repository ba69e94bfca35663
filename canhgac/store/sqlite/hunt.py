"""Hunting searches on the SQLite store (:mod:`canhgac.store.hunt`): every value bound."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from canhgac.errors import StoreError
from canhgac.models import Event
from canhgac.store.hunt import EventHunt, HuntPage, HuntRequest, SqlCondition
from canhgac.store.sqlite.events import Read, row_event
from canhgac.store.sqlite.schema import ADDRESS_COLUMNS
from canhgac.timeutil import to_iso


class SQLiteHunt(EventHunt):
    def __init__(self, read: Read) -> None:
        self._read = read

    def _where(self, request: HuntRequest) -> tuple[str, list[Any]]:
        condition = request.query
        if condition is not None and not isinstance(condition, SqlCondition):
            raise StoreError(
                f"a SQLite hunt query is a SqlCondition, not {type(condition).__name__}"
            )
        sql = "ts >= ? AND ts < ?"
        params: list[Any] = [request.start, request.end]
        if condition is not None and condition.sql:
            sql += f" AND ({condition.sql})"
            params.extend(condition.params)
        return sql, params

    def page(self, request: HuntRequest, after: tuple[str, str] | None, limit: int) -> HuntPage:
        where, params = self._where(request)
        if after is not None:
            where += " AND (ts, id) < (?, ?)"
            params.extend(after)
        rows = self._read(
            f"SELECT id, ingested, doc, original, ts FROM events WHERE {where}"
            " ORDER BY ts DESC, id DESC LIMIT ?",
            [*params, limit],
        )
        events = [row_event(*row[:4]) for row in rows]
        last = (rows[-1][4], rows[-1][0]) if len(rows) == limit else None
        return HuntPage(events, last)

    def oldest(self, request: HuntRequest) -> Event | None:
        where, params = self._where(request)
        rows = self._read(
            f"SELECT id, ingested, doc, original FROM events WHERE {where} ORDER BY ts, id LIMIT 1",
            params,
        )
        return row_event(*rows[0]) if rows else None

    def count(self, request: HuntRequest) -> int:
        where, params = self._where(request)
        return int(self._read(f"SELECT count(*) FROM events WHERE {where}", params)[0][0])

    def histogram(self, request: HuntRequest, bucket_seconds: int) -> Sequence[tuple[str, int]]:
        where, params = self._where(request)
        rows = self._read(
            f"SELECT CAST(strftime('%s', ts) AS INTEGER) / ? AS bucket, count(*)"
            f" FROM events WHERE {where} GROUP BY bucket ORDER BY bucket",
            [bucket_seconds, *params],
        )
        return [
            (to_iso(datetime.fromtimestamp(int(bucket) * bucket_seconds, UTC)), int(hits))
            for bucket, hits in rows
            if bucket is not None
        ]

    def address_condition(self, fields: Sequence[str], address: str) -> SqlCondition | None:
        """Seeks events_by_source_ip/events_by_destination_ip (lower(address), ts) for each
        field, OR-ed (SQLite's multi-index OR), instead of the search text's LIKE, which reads
        every event of the time range and parses its document for destination.ip.

        Same events: for ASCII text without wildcards LIKE is an ASCII-case-insensitive
        equality, and so is lower() = lower(); ``IS NOT NULL`` lets the planner use the
        partial indexes."""
        columns = [ADDRESS_COLUMNS.get(field) for field in fields]
        if not address.isascii() or not columns or None in columns:
            return None
        sql = " OR ".join(f"({column} IS NOT NULL AND lower({column}) = ?)" for column in columns)
        return SqlCondition(f"({sql})", (address.lower(),) * len(columns))
