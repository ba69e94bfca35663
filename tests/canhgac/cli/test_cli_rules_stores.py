"""`canhgac rules test --store`: which store fixtures run on (no service needed here; the run
on a real Elasticsearch node is tests/integration/test_rule_pack_on_elasticsearch.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from alerting.detect.compile.rules import QUERY_COMPILERS
from canhgac.cli import app
from canhgac.cli.rules import (
    ES_URL_VARIABLE,
    FIXTURE_LANGUAGES,
    FIXTURE_STORES,
    fixture_es_config,
    run_fixtures,
)
from canhgac.config import ElasticsearchStoreConfig, Settings, SQLiteStoreConfig
from canhgac.errors import ConfigError
from canhgac.store.elasticsearch.store import ElasticsearchStore
from canhgac.store.sqlite.store import SQLiteStore

ROOT = Path(__file__).resolve().parents[3]


def test_every_fixture_store_runs_its_stores_query_language() -> None:
    assert set(FIXTURE_STORES.names()) == set(FIXTURE_LANGUAGES)
    assert FIXTURE_LANGUAGES == {
        "sqlite": SQLiteStore.query_language,
        "elasticsearch": ElasticsearchStore.query_language,
    }
    assert set(FIXTURE_LANGUAGES.values()) <= set(QUERY_COMPILERS)


def test_the_configured_elasticsearch_store_is_used_with_a_fresh_prefix() -> None:
    configured = ElasticsearchStoreConfig(hosts=["https://es.hanoi.gov.vn:9200"], username="soc")
    settings = Settings(store=configured)
    first = fixture_es_config(settings, {ES_URL_VARIABLE: "http://127.0.0.1:1"})
    second = fixture_es_config(settings, {})
    assert first.hosts == ["https://es.hanoi.gov.vn:9200"] and first.username == "soc"
    assert first.index_prefix.startswith("canhgac-rules-test-")
    assert first.index_prefix != second.index_prefix != configured.index_prefix


def test_without_an_elasticsearch_store_the_test_node_variable_is_used() -> None:
    settings = Settings(store=SQLiteStoreConfig())
    config = fixture_es_config(settings, {ES_URL_VARIABLE: " http://127.0.0.1:9200 "})
    assert config.hosts == ["http://127.0.0.1:9200"]
    with pytest.raises(ConfigError, match=ES_URL_VARIABLE):
        fixture_es_config(settings, {})


def test_an_unknown_store_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown store 'mysql'"):
        run_fixtures(Settings(), ROOT / "rules", "mysql")


def test_the_store_option_reaches_the_runner(tmp_path: Path) -> None:
    config = tmp_path / "canhgac.yaml"
    pipeline = ROOT / "rules" / "pipelines" / "ecs.yml"
    config.write_text(
        f"detection:\n  rules_dir: {ROOT / 'rules'}\n  pipeline: [{pipeline}]\n", encoding="utf-8"
    )
    result = CliRunner().invoke(app, ["rules", "test", "--store", "sqlite", "-c", str(config)])
    assert result.exit_code == 0, result.output
    assert "0 failed" in result.output and "on sqlite" in result.output
