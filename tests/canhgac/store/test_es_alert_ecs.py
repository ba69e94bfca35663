"""Alerts are ECS documents in Elasticsearch: ``@timestamp``, ``event.kind: alert``,
``rule.*``, the matched event's ECS fields and Kibana's ``kibana.alert.*`` fields, mapped
with their ECS types, and still read back as the same alert."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from canhgac.config import ElasticsearchStoreConfig
from canhgac.models import Alert, AlertStatus
from canhgac.store.elasticsearch.documents import alert_doc, alert_from_doc
from canhgac.store.elasticsearch.mappings import ALERT_MAPPING
from tests.support.ecs_reference import allowed_values, ecs_type

SEEN = "2026-12-03T01:02:03.456789Z"


def _alert(**fields: Any) -> Alert:
    values: dict[str, Any] = {
        "id": "a1",
        "rule_id": "0f06a3a5-6a09-413f-8743-e6cf35561297",
        "rule_title": "Đăng nhập RDP từ Internet",
        "rule_description": "Inbound RDP",
        "severity": "high",
        "tags": ["attack.t1021"],
        "references": ["https://attack.mitre.org/techniques/T1021/001/"],
        "author": "SOC Hà Nội",
        "first_seen": SEEN,
        "last_seen": SEEN,
        "created_at": SEEN,
        "updated_at": SEEN,
        "snapshot": {
            "host.name": "dc01",
            "user.name": "nguyenvana",
            "source.ip": "2001:db8::7",
            "source.port": 50122,
            "event.dataset": "windows.security",
            "event.code": "4624",
            "message": "An account was successfully logged on.",
        },
    }
    values.update(fields)
    return Alert(**values)


def _get(doc: dict[str, Any], dotted: str) -> Any:
    node: Any = doc
    for part in dotted.split("."):
        node = node[part]
    return node


def test_alert_document_is_ecs_and_reads_back_unchanged() -> None:
    alert = _alert()
    doc = alert_doc(alert)
    expected = {
        "@timestamp": SEEN,
        "event.kind": "alert",
        "rule.id": alert.rule_id,
        "rule.name": alert.rule_title,
        "rule.reference": alert.references,
        "host.name": "dc01",
        "user.name": "nguyenvana",
        "source.ip": "2001:db8::7",
        "source.port": 50122,
        "event.dataset": "windows.security",
        "kibana.alert.severity": "high",
        "kibana.alert.workflow_status": "open",
        "kibana.alert.original_time": SEEN,
        "kibana.alert.rule.name": alert.rule_title,
    }
    assert {name: _get(doc, name) for name in expected} == expected
    assert doc["event"]["kind"] in allowed_values("event.kind")
    assert alert_from_doc(doc) == alert
    closed = alert_doc(alert.model_copy(update={"status": AlertStatus.closed}))
    assert closed["kibana"]["alert"]["workflow_status"] == "closed"


def test_alert_mapping_gives_ecs_fields_their_ecs_types() -> None:
    properties = ALERT_MAPPING["mappings"]["properties"]
    for name, kind in {
        "@timestamp": "date",
        "source.ip": "ip",
        "source.port": "long",
        "event.severity": "long",
        "rule.name": "keyword",
        "host.name": "keyword",
    }.items():
        node = properties
        parts = name.split(".")
        for part in parts[:-1]:
            node = node[part]["properties"]
        assert node[parts[-1]]["type"] == kind == ecs_type(name), name


@pytest.fixture
def es_store() -> Iterator[Any]:
    from canhgac.store.elasticsearch.store import ElasticsearchStore

    url = os.environ.get("CANHGAC_TEST_ES_URL", "").strip()
    if not url:
        pytest.fail("CANHGAC_TEST_ES_URL is not set", pytrace=False)
    store = ElasticsearchStore(
        ElasticsearchStoreConfig(hosts=[url], index_prefix=f"cgt-{uuid.uuid4().hex[:10]}")
    )
    try:
        yield store
    finally:
        store.delete_indices()
        store.close()


@pytest.mark.integration
def test_kibana_style_queries_find_the_alert_on_a_real_node(es_store: Any) -> None:
    alert = _alert()
    es_store.record_alert(alert, ["e1"])
    client = es_store._es.client
    client.indices.refresh(index=es_store.names.alerts)

    def count(query: dict[str, Any]) -> int:
        return int(client.count(index=f"{es_store.names.alerts}*", query=query)["count"])

    assert count({"term": {"event.kind": "alert"}}) == 1
    assert count({"term": {"source.ip": "2001:db8::/32"}}) == 1  # typed ip: CIDR works
    assert count({"range": {"@timestamp": {"gte": "2026-12-03T00:00:00Z"}}}) == 1
    assert count({"term": {"kibana.alert.workflow_status": "open"}}) == 1
    es_store.update_alert(alert.model_copy(update={"status": AlertStatus.acknowledged}))
    client.indices.refresh(index=es_store.names.alerts)
    assert count({"term": {"kibana.alert.workflow_status": "acknowledged"}}) == 1
    assert es_store.get_alert(alert.id).status is AlertStatus.acknowledged
