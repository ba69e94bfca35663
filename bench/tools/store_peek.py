"""Read-only looks into an embedded instance's SQLite file that its public store API does not
offer in bulk: events stored per source, and the oldest rule watermark. A benchmark may know
the layout (canhgac/store/sqlite/); the product reads it only through its store modules.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from canhgac.timeutil import from_iso


def _connect(db: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)


def stored_by_source(db: Path) -> dict[str, int]:
    """Events stored per source, from the health tallies the store keeps with each write."""
    with closing(_connect(db)) as conn:
        rows = conn.execute("SELECT source, SUM(events) FROM health_batches GROUP BY source")
        return {str(source): int(count) for source, count in rows}


def oldest_watermark(db: Path) -> float | None:
    """The earliest rule watermark (epoch seconds): how far detection has searched, for the
    rule furthest behind; None before any rule ran."""
    with closing(_connect(db)) as conn:
        row = conn.execute("SELECT MIN(json_extract(doc, '$.watermark')) FROM rule_state")
        value = row.fetchone()[0]
    return None if value is None else from_iso(str(value)).timestamp()
