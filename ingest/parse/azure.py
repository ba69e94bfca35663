"""Azure Monitor records as diagnostic settings export them (an Event Hub message or a
storage blob ``{"records": [...]}``, or one record per line: the blobs' ``PT1H.json`` and a
split Event Hub batch)::

    {"time":"2026-11-30T03:12:45.1Z","resourceId":"/tenants/…/providers/Microsoft.aadiam",
     "operationName":"Sign-in activity","category":"SignInLogs","resultType":"50126",
     "resultDescription":"Invalid username or password.","callerIpAddress":"203.0.113.5",
     "properties":{"userPrincipalName":"an@hanoi.gov.vn","status":{"errorCode":50126},
     "clientAppUsed":"Browser","userAgent":"…","deviceDetail":{"isCompliant":false}, …}}

The record's ``category`` says which log it is, so one Event Hub may carry them all: the
activity log, Entra ID audit logs, sign-in logs (interactive, non-interactive, service
principal, managed identity) and risk detections each get their dataset and the namespace
of Elastic's Azure integration (``azure.activitylogs.``, ``azure.auditlogs.``,
``azure.signinlogs.``, ``azure.identity_protection.``); any other resource log is kept as
``azure.platformlogs``. The record is kept under that namespace with Azure's own names.
"""

from __future__ import annotations

import json
import re
from typing import Any

from canhgac.errors import ParseError
from ingest.parse.base import Fields, Origin
from ingest.parse.cloud_record import (
    child,
    child_text,
    keep_record,
    load_records,
    name_values,
    put_new,
    stamp_record,
)
from ingest.parse.ecs import put_address
from ingest.parse.jsonlog import has_escapes
from ingest.parse.timestamps import zone_of

ACTIVITY, AUDIT, SIGNIN, RISK, PLATFORM = (
    "azure.activitylogs", "azure.auditlogs", "azure.signinlogs", "azure.identity_protection",
    "azure.platformlogs",
)  # fmt: skip
DATASETS = (ACTIVITY, AUDIT, SIGNIN, RISK, PLATFORM)
# Diagnostic settings category (lower case) -> dataset.
_CATEGORIES = {
    **dict.fromkeys(("administrative", "security", "servicehealth", "alert", "recommendation",
                     "policy", "autoscale", "resourcehealth"), ACTIVITY),
    "auditlogs": AUDIT,
    **dict.fromkeys(("signinlogs", "noninteractiveusersigninlogs", "serviceprincipalsigninlogs",
                     "managedidentitysigninlogs", "adfssigninlogs"), SIGNIN),
    **dict.fromkeys(("riskdetection", "userriskevents", "serviceprincipalriskevents",
                     "riskyusers", "riskyserviceprincipals"), RISK),
}  # fmt: skip
_CATEGORY = {ACTIVITY: "configuration", AUDIT: "iam", SIGNIN: "authentication",
             RISK: "authentication", PLATFORM: "configuration"}  # fmt: skip
_SUBSCRIPTION = re.compile(r"/subscriptions/([0-9a-f-]{36})", re.IGNORECASE)
_PROVIDER = re.compile(r"/providers/([A-Za-z0-9.]+)", re.IGNORECASE)


def _outcome(dataset: str, record: dict[str, Any]) -> str | None:
    if dataset == SIGNIN:
        code = child_text(record, "resultType") or child_text(
            record, "properties", "status", "errorCode"
        )
        return None if code is None else "success" if code == "0" else "failure"
    result = (child_text(record, "properties", "result") or child_text(record, "resultType")
              or "").lower()  # fmt: skip
    if result in ("success", "succeeded"):
        return "success"
    return "failure" if result in ("failure", "failed") else None


def _user(fields: Fields, properties: Any, record: dict[str, Any]) -> None:
    name = (child_text(properties, "userPrincipalName")
            or child_text(properties, "initiatedBy", "user", "userPrincipalName")
            or child_text(record, "identity", "claims", "name")
            or child_text(record, "identity", "claims",
                          "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"))  # fmt: skip
    if name:
        fields["user.name"] = name
    if uid := child_text(properties, "userId") or child_text(
        properties, "initiatedBy", "user", "id"
    ):
        fields["user.id"] = uid


def _ecs(fields: Fields, dataset: str, record: dict[str, Any]) -> None:
    properties = child(record, "properties")
    if action := child_text(record, "operationName"):
        fields["event.action"] = action
    resource = child_text(record, "resourceId") or ""
    if provider := _PROVIDER.search(resource):
        fields["event.provider"] = provider.group(1)
    if subscription := _SUBSCRIPTION.search(resource):
        fields["cloud.account.id"] = subscription.group(1)
    elif tenant := child_text(record, "tenantId"):
        fields["cloud.account.id"] = tenant
    if region := child_text(record, "location"):
        fields["cloud.region"] = region
    address = child_text(properties, "ipAddress") or child_text(record, "callerIpAddress")
    put_address(fields, "source", address)
    if agent := child_text(properties, "userAgent"):
        fields["user_agent.original"] = agent
    if event_id := child_text(properties, "id"):
        fields["event.id"] = event_id[:64]
    _user(fields, properties, record)
    fields["event.category"] = [_CATEGORY[dataset]]
    if outcome := _outcome(dataset, record):
        fields["event.outcome"] = outcome


def _unquoted(text: str) -> str:
    """Entra ID writes a modified property's values JSON-encoded (``"\\"True\\""``)."""
    if len(text) > 1 and text[0] == '"' and text[-1] == '"':
        try:
            value = json.loads(text)
        except ValueError:
            return text
        return value if isinstance(value, str) else text
    return text


def _name_value_lists(fields: Fields, dataset: str, record: dict[str, Any]) -> None:
    """Entra ID's name/value lists by name: ``properties.additionalDetails.<key>`` and the
    new value of each modified property as ``...modifiedProperties.<displayName>``."""
    prefix = f"{dataset}.properties."
    details = name_values(child(record, "properties", "additionalDetails"), "key", "value")
    for key, value in details.items():
        put_new(fields, f"{prefix}additionalDetails.{key}", value)
    targets = child(record, "properties", "targetResources")
    for target in targets[:16] if isinstance(targets, list) else []:
        changes = name_values(child(target, "modifiedProperties"), "displayName", "newValue")
        for key, value in changes.items():
            put_new(fields, f"{prefix}targetResources.modifiedProperties.{key}", _unquoted(value))


def parse_azure(text: str, origin: Origin) -> Fields:
    record = load_records(text, "records")
    category = child_text(record, "category")
    if not category or not isinstance(record.get("operationName"), str):
        raise ParseError("not an Azure Monitor record (no category and operationName)")
    dataset = _CATEGORIES.get(category.lower(), PLATFORM)
    fields: Fields = {
        "event.dataset": dataset if dataset != PLATFORM else origin.dataset or PLATFORM,
        "event.module": "azure",
        "event.kind": "event",
        "cloud.provider": "azure",
    }
    keep_record(fields, record, dataset + ".", escaped=has_escapes(text))
    _name_value_lists(fields, dataset, record)
    _ecs(fields, dataset, record)
    stamp_record(fields, record, "time", zone_of(origin))
    return fields
