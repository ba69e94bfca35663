"""Dead-letter queries and replay on the SQLite store (Elasticsearch: tests/integration)."""

from __future__ import annotations

from pathlib import Path

import pytest

from canhgac.dead_letters import DeadLetterQuery, class_filter, reason_class
from canhgac.store.sqlite.store import SQLiteStore
from tests.support.dead_letter_scenarios import check_queries, check_replay


def test_queries_filter_page_replace_and_delete(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "cg.db")
    try:
        check_queries(store)
    finally:
        store.close()


def test_replay_turns_fixed_letters_into_events_once(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "cg.db")
    try:
        check_replay(store)
    finally:
        store.close()


@pytest.mark.parametrize(
    ("reason", "kind"),
    [
        ("line exceeds 1048576 bytes", "too_long"),
        ("line 2: invalid JSON: Expecting value", "json"),
        ("parser nginx failed: ValueError: x", "parser_crash"),
        ("unknown parser 'x'; known parsers: raw", "config"),
        ("unreadable Kafka message: message is not JSON", "poison"),
        ("Elasticsearch rejected the event: mapper_parsing_exception", "store_rejected"),
        ("not a CEF record: expected 'CEF:Version|Vendor|Product|...' (7 fields)", "parse"),
    ],
)
def test_reason_classes(reason: str, kind: str) -> None:
    assert reason_class(reason) == kind
    # The stores' prefix filter agrees with the classifier.
    matches = [
        m
        for m in class_filter(kind)
        if reason.startswith(m.prefix) and not any(reason.startswith(u) for u in m.unless)
    ]
    assert matches


def test_an_unknown_reason_class_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown reason class 'parsing'; known: binary"):
        DeadLetterQuery(reason="parsing")
