"""Rule switches in the SQLite store: one row per rule a person ever switched, its latest
:class:`~canhgac.models.RuleSwitch` kept whole as JSON (the table is in
:mod:`canhgac.store.sqlite.schema`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from canhgac.models import RuleSwitch
from canhgac.store.sqlite.db import SQLiteDatabase

# Ids per query: far below SQLite's bound on parameters (32766).
_CHUNK = 500


def save(conn: sqlite3.Connection, switch: RuleSwitch) -> None:
    """Replace the rule's switch; call inside a write transaction."""
    conn.execute(
        "INSERT OR REPLACE INTO rule_switches (rule_id, doc) VALUES (?, ?)",
        (switch.rule_id, switch.model_dump_json()),
    )


def get(db: SQLiteDatabase, rule_ids: Sequence[str]) -> dict[str, RuleSwitch]:
    """The stored switch of each of ``rule_ids`` that has one."""
    wanted = list(dict.fromkeys(rule_ids))
    found: dict[str, RuleSwitch] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        marks = ", ".join("?" * len(chunk))
        rows = db.read(f"SELECT doc FROM rule_switches WHERE rule_id IN ({marks})", tuple(chunk))
        for (doc,) in rows:
            switch = RuleSwitch.model_validate_json(doc)
            found[switch.rule_id] = switch
    return found
