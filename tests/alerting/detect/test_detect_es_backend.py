"""Whole Sigma rules compiled to query DSL (alerting.detect.compile.elasticsearch: backend, fields)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sigma.collection import SigmaCollection
from sigma.processing.pipeline import ProcessingPipeline

from alerting.detect.compile.elasticsearch.backend import (
    ElasticsearchQueryBackend,
    compile_elasticsearch,
)
from alerting.detect.compile.elasticsearch.fields import (
    DEFAULT_MAX_REGEX_LENGTH,
    EventMapping,
    FieldKind,
    mapping_from_template,
    store_event_mapping,
)
from alerting.detect.compile.elasticsearch.strings import NotSupportedOnElasticsearch
from alerting.detect.compile.pipeline import load_pipeline
from alerting.detect.compile.rules import compile_rules
from alerting.detect.load.ruleset import load_rules
from canhgac.store.elasticsearch.mappings import events_component

ROOT = Path(__file__).resolve().parents[3]
WITH_KEYWORD_ORIGINAL = EventMapping(
    kinds={"event.original": FieldKind.TEXT, "source.ip": FieldKind.IP},
    keyword_subfields={"event.original": "event.original.keyword"},
)


def _rule(detection: dict[str, Any], **logsource: str) -> Any:
    document = {
        "title": "t",
        "id": "5b3f1b0e-0000-4000-8000-000000000001",
        "logsource": logsource or {"product": "canhgac"},
        "detection": detection,
    }
    return SigmaCollection.from_dicts([document]).rules[0]


def _compile(detection: dict[str, Any], mapping: EventMapping | None = None) -> Any:
    backend = ElasticsearchQueryBackend(ProcessingPipeline(), mapping or WITH_KEYWORD_ORIGINAL)
    [query] = backend.convert_rule(_rule(detection))
    return query


def test_and_or_not_become_bool_filter_should_must_not() -> None:
    query = _compile(
        {
            "sel": {"user.name": ["root", "admin"], "event.action": "login"},
            "filter": {"host.name": "bastion"},
            "condition": "sel and not filter",
        }
    )
    assert query == {
        "bool": {
            "filter": [
                {
                    "bool": {
                        "should": [
                            {"term": {"user.name": {"value": "root", "case_insensitive": True}}},
                            {"term": {"user.name": {"value": "admin", "case_insensitive": True}}},
                        ],
                        "minimum_should_match": 1,
                    }
                },
                {"term": {"event.action": {"value": "login", "case_insensitive": True}}},
                {
                    "bool": {
                        "must_not": [
                            {"term": {"host.name": {"value": "bastion", "case_insensitive": True}}}
                        ]
                    }
                },
            ]
        }
    }


def test_plain_alternatives_on_one_field_become_one_terms_query() -> None:
    query = _compile({"sel": {"destination.port": [22, 3389, 5900]}, "condition": "sel"})
    assert query == {"terms": {"destination.port": ["22", "3389", "5900"]}}


def test_keywords_search_the_keyword_sub_field_of_event_original() -> None:
    query = _compile({"keywords": ["Failed password"], "condition": "keywords"})
    assert query == {
        "wildcard": {
            "event.original.keyword": {"value": "*Failed password*", "case_insensitive": True}
        }
    }


def test_keywords_are_refused_when_event_original_is_only_text() -> None:
    mapping = EventMapping(kinds={"event.original": FieldKind.TEXT})
    with pytest.raises(NotSupportedOnElasticsearch, match="keyword sub-field"):
        _compile({"keywords": ["x"], "condition": "keywords"}, mapping)


def test_null_and_exists() -> None:
    assert _compile({"sel": {"user.domain": None}, "condition": "sel"}) == {
        "bool": {"must_not": [{"exists": {"field": "user.domain"}}]}
    }
    assert _compile({"sel": {"user.domain|exists": True}, "condition": "sel"}) == {
        "exists": {"field": "user.domain"}
    }


def test_fieldref_is_refused_with_the_reason() -> None:
    with pytest.raises(NotSupportedOnElasticsearch, match="needs a script"):
        _compile({"sel": {"user.name|fieldref": "user.target.name"}, "condition": "sel"})


def test_a_regex_longer_than_the_index_allows_is_refused() -> None:
    mapping = EventMapping(max_regex_length=40)
    with pytest.raises(NotSupportedOnElasticsearch, match="index.max_regex_length"):
        _compile({"sel": {"message|re": r"\s+\w"}, "condition": "sel"}, mapping)


def test_the_mapping_is_read_from_the_store_template() -> None:
    mapping = store_event_mapping()
    assert mapping.kind("source.ip") is FieldKind.IP
    assert mapping.kind("http.response.status_code") is FieldKind.NUMBER
    assert mapping.kind("event.original") is FieldKind.TEXT
    assert mapping.kind("winlog.event_data.Anything") is FieldKind.KEYWORD
    assert mapping.keyword_subfield("message") is None  # a keyword itself, with a text sub-field
    assert mapping == mapping_from_template(events_component())


def test_template_settings_and_sub_fields_are_honoured() -> None:
    component = {
        "template": {
            "settings": {"index": {"max_regex_length": 5000}},
            "mappings": {
                "properties": {
                    "event.original": {
                        "type": "text",
                        "fields": {"raw": {"type": "keyword", "ignore_above": 8191}},
                    },
                    "tags": {"type": "keyword"},
                }
            },
        }
    }
    mapping = mapping_from_template(component)
    assert mapping.max_regex_length == 5000
    assert mapping.keyword_subfield("event.original") == "event.original.raw"
    assert mapping_from_template({}).max_regex_length == DEFAULT_MAX_REGEX_LENGTH


def test_the_compiled_rule_knows_whether_its_logsource_was_mapped() -> None:
    pipeline = load_pipeline([ROOT / "rules" / "pipelines" / "ecs.yml"])
    rule = _rule(
        {"sel": {"user.name": "root"}, "condition": "sel"}, product="linux", service="auth"
    )
    compiled = compile_elasticsearch(rule, pipeline)
    assert compiled.logsource_mapped
    assert {"term": {"event.dataset": {"value": "system.auth", "case_insensitive": True}}} in (
        compiled.query["bool"]["filter"]
    )


def test_the_project_pack_compiles_for_both_stores_alike() -> None:
    ruleset = load_rules(ROOT / "rules")
    pipeline = load_pipeline([ROOT / "rules" / "pipelines" / "ecs.yml"])
    compiled = {
        language: compile_rules(ruleset, pipeline, language, default_interval=timedelta(1))
        for language in ("sqlite", "elasticsearch")
    }
    assert [str(e) for e in compiled["elasticsearch"].errors] == []
    assert [r.id for r in compiled["elasticsearch"].rules] == [
        r.id for r in compiled["sqlite"].rules
    ]
