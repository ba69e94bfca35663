"""SigmaHQ's cloud rules fire on the cloud parsers' events in Elasticsearch (the index
template maps the kept record as keywords: the same case-insensitive matches as SQLite);
the records and rules are tests/support/cloud_rule_cases.py's."""

from __future__ import annotations

from pathlib import Path

import pytest

from canhgac.store.elasticsearch.store import ElasticsearchStore
from tests.support.cloud_rule_cases import CASES, END, compiled, events

pytestmark = pytest.mark.integration


def test_sigmahq_cloud_rules_fire_on_their_records_only(
    es_store: ElasticsearchStore, tmp_path: Path
) -> None:
    # All cases' records in one index: each rule finds its own record among the others'.
    written = [(case, events(case)) for case in CASES]
    es_store.write_events([event for _, pair in written for event in pair])
    for index, (case, (_, fires)) in enumerate(written):
        ruleset = compiled(case, "elasticsearch", tmp_path / str(index))
        assert ruleset.errors == [] and len(ruleset.rules) == 1, ruleset.errors
        hits = es_store.search_events(ruleset.rules[0].query, "", END).events
        assert [hit.id for hit in hits] == [fires.id], case.rule
