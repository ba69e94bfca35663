"""Alert statistics in the SQLite store: ``GROUP BY`` queries over the ``alerts`` table.

Every query is bounded by ``last_seen`` (indexed), and the snapshot fields are read by the
same ``json_extract`` expressions the queue's indices are built on, so only the window's
alerts are visited and nothing but counts leaves SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence

from canhgac.models import Severity
from canhgac.store.alert_stats import (
    AlertDimension,
    AlertStats,
    BucketCount,
    RuleOutcome,
    ValueCount,
)
from canhgac.store.sqlite.db import SQLiteDatabase

# dimension -> (FROM clause, value expression); fixed text, never built from input.
_DIMENSIONS: dict[AlertDimension, tuple[str, str]] = {
    AlertDimension.rule: ("alerts", "rule_id"),
    AlertDimension.host: ("alerts", "json_extract(doc, '$.snapshot.\"host.name\"')"),
    AlertDimension.source_ip: ("alerts", "json_extract(doc, '$.snapshot.\"source.ip\"')"),
    AlertDimension.tag: ("alerts, json_each(alerts.doc, '$.tags') AS tag", "tag.value"),
}


class SQLiteAlertStats(AlertStats):
    def __init__(self, db: SQLiteDatabase) -> None:
        self._read = db.read

    def histogram(self, edges: Sequence[str]) -> list[BucketCount]:
        if len(edges) < 2:
            return []
        # One row per bucket joined on the last_seen index: each bucket is a range scan.
        buckets = " UNION ALL ".join("SELECT ?, ?, ?" for _ in edges[1:])
        params: list[object] = []
        for index, (start, end) in enumerate(zip(edges, edges[1:], strict=False)):
            params += [index, start, end]
        rows = self._read(
            f"WITH b(i, lo, hi) AS ({buckets})"
            " SELECT b.i, a.severity, count(*) FROM b JOIN alerts a"
            " ON a.last_seen >= b.lo AND a.last_seen < b.hi"
            " GROUP BY b.i, a.severity ORDER BY b.i, a.severity",
            params,
        )
        return [BucketCount(int(i), Severity(severity), int(n)) for i, severity, n in rows]

    def top(
        self, dimension: AlertDimension, since: str, until: str, *, limit: int = 10
    ) -> list[ValueCount]:
        source, value = _DIMENSIONS[dimension]
        rows = self._read(
            f"SELECT {value} AS v, count(*) AS n FROM {source}"
            " WHERE alerts.last_seen >= ? AND alerts.last_seen < ? AND v IS NOT NULL AND v != ''"
            " GROUP BY v ORDER BY n DESC, v LIMIT ?",
            (since, until, limit),
        )
        return [ValueCount(str(v), int(n)) for v, n in rows]

    def rule_outcomes(self, since: str, until: str) -> list[RuleOutcome]:
        rows = self._read(
            "SELECT rule_id, count(*), sum(status = 'closed'),"
            " sum(status = 'closed' AND json_extract(doc, '$.close_reason') = 'false_positive')"
            " FROM alerts WHERE last_seen >= ? AND last_seen < ? GROUP BY rule_id ORDER BY rule_id",
            (since, until),
        )
        return [RuleOutcome(str(r), int(n), int(c), int(f)) for r, n, c, f in rows]
