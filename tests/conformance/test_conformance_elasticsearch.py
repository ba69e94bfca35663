"""The conformance corpus on a real Elasticsearch node (see conftest.py): the same expected
matches as on SQLite, or the refusal the case lists for Elasticsearch."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.integration


def test_the_corpus_events_are_all_stored(elasticsearch_corpus: Any) -> None:
    assert elasticsearch_corpus.not_stored == []


def test_case_on_elasticsearch(case: Any, elasticsearch_corpus: Any) -> None:
    assert elasticsearch_corpus.outcome(case) == case.expected("elasticsearch")
