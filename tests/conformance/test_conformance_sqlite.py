"""The conformance corpus on the SQLite store (see conftest.py)."""

from __future__ import annotations

from typing import Any


def test_the_corpus_events_are_all_stored(sqlite_corpus: Any) -> None:
    assert sqlite_corpus.not_stored == []


def test_case_on_sqlite(case: Any, sqlite_corpus: Any) -> None:
    assert sqlite_corpus.outcome(case) == case.expected("sqlite")
