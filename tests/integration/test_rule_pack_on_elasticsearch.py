"""The project's rule pack and the SigmaHQ sample on a real Elasticsearch node.

* ``canhgac rules test --store elasticsearch`` passes every fixture, and every rule's query
  matches exactly the same stored fixture events on Elasticsearch as on SQLite (other rules'
  events included, so a query that is merely broader would show);
* every SigmaHQ rule that converts for Elasticsearch is accepted by the node (no query is
  refused at search time, where it would fail on every scheduling tick).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alerting.detect.compile.pipeline import load_pipeline
from alerting.detect.compile.rules import compile_rules
from alerting.detect.load.ruleset import load_rules
from canhgac.cli import app
from canhgac.cli.rules import run_fixtures
from canhgac.config import DetectionConfig, ElasticsearchStoreConfig, Settings
from canhgac.models import Event
from canhgac.store.elasticsearch.store import ElasticsearchStore

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"
PIPELINE = RULES / "pipelines" / "ecs.yml"
SIGMAHQ = ROOT.parent / "shared" / "sigmahq"


def _settings(store: ElasticsearchStoreConfig | None = None) -> Settings:
    detection = DetectionConfig(rules_dir=str(RULES), pipeline=[str(PIPELINE)])
    return Settings(detection=detection, store=store) if store else Settings(detection=detection)


def test_the_cli_passes_every_fixture_on_elasticsearch(es_url: str, tmp_path: Path) -> None:
    config = tmp_path / "canhgac.yaml"
    config.write_text(
        f"detection:\n  rules_dir: {RULES}\n  pipeline: [{PIPELINE}]\n", encoding="utf-8"
    )
    runner = CliRunner(env={"CANHGAC_TEST_ES_URL": es_url})
    result = runner.invoke(app, ["rules", "test", "--store", "elasticsearch", "-c", str(config)])
    assert result.exit_code == 0, result.output
    assert " 0 failed, 0 without tests, 0 refused" in result.output
    assert "on elasticsearch" in result.output


def test_each_rule_matches_the_same_events_on_both_stores(es_url: str) -> None:
    sqlite = run_fixtures(_settings(), None, "sqlite")
    elastic = run_fixtures(
        _settings(ElasticsearchStoreConfig(hosts=[es_url])), None, "elasticsearch"
    )

    for run in (sqlite, elastic):
        assert [str(error) for error in run.compiled.errors] == []
        assert {str(r.rule.source.path): r.failures for r in run.results if r.failures} == {}
        assert run.untested == []
    matched = [
        {str(result.rule.source.path): sorted(result.matched) for result in run.results}
        for run in (sqlite, elastic)
    ]
    assert len(matched[0]) == len(list(RULES.rglob("*.tests.yml")))
    assert matched[1] == matched[0]


def test_every_converted_sigmahq_rule_is_a_query_the_node_accepts(
    es_store: ElasticsearchStore,
) -> None:
    compiled = compile_rules(
        load_rules(SIGMAHQ),
        load_pipeline([PIPELINE]),
        "elasticsearch",
        default_interval=timedelta(minutes=1),
    )
    assert len(compiled.rules) > 150
    fields = {"@timestamp": "2026-11-27T10:00:00.000000Z", "event.original": "x"}
    es_store.write_events([Event("one", fields | {"source.ip": "10.0.0.1"})])
    refused = {}
    for rule in compiled.rules:
        try:
            es_store.search_events(rule.query, "", "2200-01-01T00:00:00.000000Z")
        except Exception as exc:  # noqa: BLE001 - collect every refusal, then report them all
            refused[str(rule.source.path)] = str(exc)
    assert refused == {}
