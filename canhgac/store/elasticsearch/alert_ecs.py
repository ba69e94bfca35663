"""The ECS view of an alert, stored beside the alert's own fields in ``<prefix>-alerts``.

Kibana reads an index as alerts when its documents are ECS: ``@timestamp`` (when the alert
was raised), ``event.kind: alert``, ``rule.*``, the matched event's ECS fields (``host.name``,
``user.name``, ``source.ip`` ...) and, cheaply, the ``kibana.alert.*`` fields of Kibana's own
alerts (severity, workflow status, the original event time, the reason), so a data view on
``canhgac-alerts*`` filters, sorts and charts like one on ``.alerts-security.alerts-*``. The
view is derived from the :class:`~canhgac.models.Alert` at every write (every write stores
the whole alert), and dropped when the alert is read back.
"""

from __future__ import annotations

from typing import Any

from canhgac.models import Alert, AlertStatus, Severity
from canhgac.store.elasticsearch.ecs_fields import ECS_FIELD_TYPES

RULE_TYPE = "canhgac.sigma"
RULESET = "sigma"
# Kibana's workflow statuses for ours.
WORKFLOW_STATUS = {
    AlertStatus.new: "open",
    AlertStatus.acknowledged: "acknowledged",
    AlertStatus.closed: "closed",
}
# Kibana's risk score (0-100) per severity, as its detection rules default it.
RISK_SCORE = {
    Severity.informational: 0,
    Severity.low: 21,
    Severity.medium: 47,
    Severity.high: 73,
    Severity.critical: 99,
}
# ECS event.severity: a number, higher is worse.
EVENT_SEVERITY = {severity: rank for rank, severity in enumerate(Severity)}


def _nest(into: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = into
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            return  # "a" and "a.b" both in a snapshot: keep the first
        node = child
    node.setdefault(parts[-1], value)


def alert_ecs(alert: Alert) -> dict[str, Any]:
    """The nested ECS fields of ``alert`` (top-level keys: :data:`ECS_KEYS`)."""
    doc: dict[str, Any] = {
        "@timestamp": alert.created_at,
        "message": alert.rule_title,
        "event": {
            "kind": "alert",
            "severity": EVENT_SEVERITY[alert.severity],
            "start": alert.first_seen,
            "end": alert.last_seen,
        },
        "rule": {
            "id": alert.rule_id,
            "uuid": alert.rule_id,
            "name": alert.rule_title,
            "description": alert.rule_description,
            "reference": alert.references,
            "author": [alert.author] if alert.author else [],
            "ruleset": RULESET,
        },
        "kibana": {
            "alert": {
                "uuid": alert.id,
                "status": "recovered" if alert.status is AlertStatus.closed else "active",
                "workflow_status": WORKFLOW_STATUS[alert.status],
                "severity": alert.severity.value,
                "risk_score": RISK_SCORE[alert.severity],
                "original_time": alert.first_seen,
                "reason": alert.rule_title,
                "rule": {
                    "uuid": alert.rule_id,
                    "name": alert.rule_title,
                    "rule_type_id": RULE_TYPE,
                    "tags": alert.tags,
                },
            }
        },
    }
    for name, value in alert.snapshot.items():
        if name in ECS_FIELD_TYPES and name != "message":
            _nest(doc, name, value)
    return doc


ECS_KEYS = frozenset(
    {"@timestamp", "message", "event", "rule", "kibana"}
    | {name.partition(".")[0] for name in ECS_FIELD_TYPES}
) - {"tags"}


def _properties(flat: dict[str, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for name, mapping in flat.items():
        parts = name.split(".")
        node = nested
        for part in parts[:-1]:
            node = node.setdefault(part, {"properties": {}})["properties"]
        node[parts[-1]] = mapping
    return nested


def alert_ecs_properties(stored_as: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Mapping properties of the ECS view; ``stored_as`` maps an ECS type to its mapping
    (keyword for the rest)."""
    keyword = {"type": "keyword"}
    flat: dict[str, Any] = {
        name: stored_as.get(kind, keyword) for name, kind in ECS_FIELD_TYPES.items()
    }
    flat.update(
        {
            "@timestamp": {"type": "date"},
            "message": {"type": "keyword", "fields": {"text": {"type": "text"}}},
            "event.start": {"type": "date"},
            "event.end": {"type": "date"},
            "event.severity": {"type": "long"},
            "rule.uuid": keyword,
            "rule.name": keyword,
            "rule.description": {"type": "text"},
            "rule.reference": keyword,
            "rule.author": keyword,
            "rule.ruleset": keyword,
            "kibana.alert.uuid": keyword,
            "kibana.alert.status": keyword,
            "kibana.alert.workflow_status": keyword,
            "kibana.alert.severity": keyword,
            "kibana.alert.risk_score": {"type": "float"},
            "kibana.alert.original_time": {"type": "date"},
            "kibana.alert.reason": {"type": "text"},
            "kibana.alert.rule.uuid": keyword,
            "kibana.alert.rule.name": keyword,
            "kibana.alert.rule.rule_type_id": keyword,
            "kibana.alert.rule.tags": keyword,
        }
    )
    flat.pop("event.original", None)
    return _properties(flat)
