"""Google Cloud audit logs: Cloud Logging ``LogEntry`` records with an ``AuditLog``
``protoPayload``, one per line, as a log sink writes them to Cloud Storage or Pub/Sub (a
Pub/Sub push wraps the entry as ``{"data": {...}}``, which is unwrapped)::

    {"insertId":"…","logName":"projects/so-hanoi/logs/cloudaudit.googleapis.com%2Factivity",
     "protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog",
       "serviceName":"compute.googleapis.com","methodName":"v1.compute.firewalls.delete",
       "authenticationInfo":{"principalEmail":"an@hanoi.gov.vn"},
       "requestMetadata":{"callerIp":"203.0.113.4","callerSuppliedUserAgent":"gcloud/460"},
       "authorizationInfo":[{"permission":"compute.firewalls.delete","granted":true}],
       "resourceName":"projects/so-hanoi/global/firewalls/allow-ssh"},
     "resource":{"type":"gce_firewall_rule","labels":{"project_id":"so-hanoi"}},
     "timestamp":"2026-11-30T03:12:45.123Z","severity":"NOTICE"}

The entry is kept under ``gcp.audit.`` with Cloud Logging's names, beside the fields of
Elastic's GCP integration that SigmaHQ's rules name (``gcp.audit.method_name``,
``service_name``, ``resource_name``). Google Workspace's admin and login audit logs come the
same way (service ``admin.googleapis.com`` / ``login.googleapis.com``) and get the datasets
``google_workspace.admin`` / ``google_workspace.login``; their event parameters are kept by
name as ``google_workspace.<admin|login>.<name in lower case>`` (``setting_name``).
"""

from __future__ import annotations

from typing import Any

from canhgac.errors import ParseError
from ingest.parse.base import Fields, Origin
from ingest.parse.cloud_record import (
    MAX_ITEMS,
    child,
    child_text,
    keep_record,
    put_new,
    stamp_record,
    text_of,
)
from ingest.parse.ecs import put_address
from ingest.parse.jsonlog import has_escapes, load_object
from ingest.parse.timestamps import zone_of

DATASET = "gcp.audit"
PREFIX = "gcp.audit."
# Workspace audit services -> dataset (Elastic's Google Workspace integration's names).
WORKSPACE = {
    "admin.googleapis.com": "google_workspace.admin",
    "login.googleapis.com": "google_workspace.login",
}
_CURATED = (("methodName", "method_name"), ("serviceName", "service_name"),
            ("resourceName", "resource_name"), ("@type", "type"))  # fmt: skip
_PARAMETER_VALUES = ("value", "boolValue", "intValue", "multiValue", "multiStrValue")


def _entry(text: str) -> dict[str, Any]:
    record = load_object(text)
    wrapped = record.get("data")
    if "protoPayload" not in record and isinstance(wrapped, dict):
        record = wrapped
    if not isinstance(record.get("protoPayload"), dict):
        raise ParseError("not a Cloud Logging audit entry (no protoPayload object)")
    return record


def _parameters(fields: Fields, dataset: str, payload: Any) -> None:
    events = child(payload, "metadata", "event")
    prefix = dataset + "."
    for event in events[:16] if isinstance(events, list) else []:
        parameters = child(event, "parameter")
        for parameter in parameters[:MAX_ITEMS] if isinstance(parameters, list) else []:
            name = child_text(parameter, "name")
            value = next((child(parameter, key) for key in _PARAMETER_VALUES
                          if child(parameter, key) is not None), None)  # fmt: skip
            values = [text_of(item) for item in value[:MAX_ITEMS]] if isinstance(
                value, list) else [text_of(value)]  # fmt: skip
            kept = [item for item in values if item is not None]
            if name and kept and "." not in name:
                put_new(fields, prefix + name.lower(), kept if len(kept) > 1 else kept[0])


def _ecs(fields: Fields, entry: dict[str, Any], payload: dict[str, Any]) -> None:
    for key, target in _CURATED:
        if (value := child_text(payload, key)) is not None:
            fields[PREFIX + target] = value
    for value, target in ((child_text(payload, "methodName"), "event.action"),
                          (child_text(payload, "serviceName"), "event.provider"),
                          (child_text(entry, "insertId"), "event.id"),
                          (child_text(entry, "resource", "labels", "project_id"),
                           "cloud.project.id"),
                          (child_text(payload, "requestMetadata", "callerSuppliedUserAgent"),
                           "user_agent.original")):  # fmt: skip
        if value is not None:
            fields[target] = value
    if email := child_text(payload, "authenticationInfo", "principalEmail"):
        fields["user.email"] = email
        fields["user.name"] = email
    put_address(fields, "source", child_text(payload, "requestMetadata", "callerIp"))
    code = child(payload, "status", "code")
    fields["event.outcome"] = "failure" if isinstance(code, int) and code != 0 else "success"


def parse_gcp_audit(text: str, origin: Origin) -> Fields:
    entry = _entry(text)
    payload: dict[str, Any] = entry["protoPayload"]
    dataset = WORKSPACE.get(child_text(payload, "serviceName") or "")
    category = {"google_workspace.login": "authentication", "google_workspace.admin": "iam"}
    fields: Fields = {
        "event.dataset": dataset or origin.dataset or DATASET,
        "event.module": "google_workspace" if dataset else "gcp",
        "event.kind": "event",
        "event.category": [category.get(dataset or "", "configuration")],
        "cloud.provider": "gcp",
    }
    keep_record(fields, entry, PREFIX, escaped=has_escapes(text))
    if dataset:
        _parameters(fields, dataset, payload)
    _ecs(fields, entry, payload)
    stamp_record(fields, entry, "timestamp", zone_of(origin))
    return fields
