"""Dead-letter queries and replay on a real Elasticsearch node (the same checks as SQLite)."""

from __future__ import annotations

import pytest

from canhgac.store.elasticsearch.store import ElasticsearchStore
from tests.support.dead_letter_scenarios import check_queries, check_replay

pytestmark = pytest.mark.integration


def test_queries_filter_page_replace_and_delete(es_store: ElasticsearchStore) -> None:
    check_queries(es_store)


def test_replay_turns_fixed_letters_into_events_once(es_store: ElasticsearchStore) -> None:
    check_replay(es_store)
