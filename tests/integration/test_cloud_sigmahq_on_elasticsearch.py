"""SigmaHQ's cloud rules fire on the cloud parsers' events in Elasticsearch (the index
template maps the kept record as keywords: the same case-insensitive matches as SQLite);
the records and rules are tests/support/cloud_rule_cases.py's."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from alerting.detect.compile.pipeline import load_pipeline
from alerting.detect.compile.rules import compile_rules
from alerting.detect.load.ruleset import load_rules
from canhgac.store.elasticsearch.store import ElasticsearchStore
from tests.support.cloud_rule_cases import CASES, END, PIPELINE, SIGMAHQ_CLOUD, compiled, events

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


def test_every_sigmahq_cloud_rule_converts_and_the_node_accepts_its_query(
    es_store: ElasticsearchStore,
) -> None:
    compiled = compile_rules(
        load_rules(SIGMAHQ_CLOUD),
        load_pipeline([PIPELINE]),
        "elasticsearch",
        default_interval=timedelta(minutes=1),
    )
    # 225 rules; CloudTrail's |fieldref rule needs a script (refused for Elasticsearch)
    assert len(compiled.rules) >= 224
    assert [str(error) for error in compiled.errors if "|fieldref" not in str(error)] == []
    es_store.write_events(events(CASES[0]))
    refused = {}
    for rule in compiled.rules:
        try:
            es_store.search_events(rule.query, "", END)
        except Exception as exc:  # noqa: BLE001 - collect every refusal, then report them all
            refused[str(rule.source.path)] = str(exc)
    assert refused == {}
