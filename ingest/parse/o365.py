"""Microsoft 365 unified audit log records, as the Office 365 Management Activity API returns
them (a content blob is a JSON array of records: post it to the HTTP source, which splits
it, or write one record per line)::

    {"CreationTime":"2026-11-30T03:12:45","Id":"…","Operation":"UserLoggedIn",
     "OrganizationId":"…","RecordType":15,"ResultStatus":"Success","UserKey":"…",
     "UserType":0,"Workload":"AzureActiveDirectory","ClientIP":"203.0.113.5",
     "ObjectId":"00000002-0000-0ff1-ce00-000000000000","UserId":"an@hanoi.gov.vn",
     "ApplicationId":"…","ExtendedProperties":[{"Name":"RequestType","Value":"Login:login"}]}

The record is kept under ``o365.audit.`` with the API's own names (Elastic's Microsoft 365
integration's namespace); ``ExtendedProperties`` and an Exchange cmdlet's ``Parameters``
(name/value lists) are also kept by name, ``o365.audit.ExtendedProperties.RequestType``.
``CreationTime`` is UTC without an offset.
"""

from __future__ import annotations

from typing import Any

from canhgac.errors import ParseError
from ingest.parse.base import Fields, Origin
from ingest.parse.cloud_record import child_text, keep_record, name_values, put_new, stamp_record
from ingest.parse.ecs import put_address
from ingest.parse.jsonlog import has_escapes, load_object

DATASET = "o365.audit"
PREFIX = "o365.audit."
_SUCCESS = frozenset(("success", "succeeded", "true", "partiallysucceeded"))
_FAILURE = frozenset(("failure", "failed", "false"))
_LOGINS = frozenset(("UserLoggedIn", "UserLoginFailed"))
_NAME_VALUE_LISTS = ("ExtendedProperties", "Parameters")


def _address(text: str | None) -> str | None:
    """``ClientIP`` may carry a port: ``203.0.113.5:443`` or ``[2001:db8::1]:443``."""
    if not text:
        return None
    if text.startswith("["):
        return text[1:].partition("]")[0]
    host, colon, port = text.rpartition(":")
    return host if colon and host.count(":") == 0 and port.isdigit() else text


def _ecs(fields: Fields, record: dict[str, Any]) -> None:
    for key, target in (("Operation", "event.action"), ("Workload", "event.provider"),
                        ("Id", "event.id"), ("OrganizationId", "cloud.account.id"),
                        ("UserId", "user.name"), ("UserKey", "user.id")):  # fmt: skip
        if value := child_text(record, key):
            fields[target] = value[:1024]
    put_address(fields, "source", _address(child_text(record, "ClientIP")))
    status = (child_text(record, "ResultStatus") or "").lower()
    if status in _SUCCESS or status in _FAILURE:
        fields["event.outcome"] = "success" if status in _SUCCESS else "failure"
    login = record.get("Operation") in _LOGINS
    fields["event.category"] = ["authentication" if login else "configuration"]
    if login:
        fields["event.type"] = ["start"]


def parse_o365(text: str, origin: Origin) -> Fields:
    record = load_object(text)
    if not isinstance(record.get("Operation"), str) or "CreationTime" not in record:
        raise ParseError("not a Microsoft 365 audit record (no Operation and CreationTime)")
    fields: Fields = {
        "event.dataset": origin.dataset or DATASET,
        "event.module": "o365",
        "event.kind": "event",
    }
    keep_record(fields, record, PREFIX, escaped=has_escapes(text))
    for key in _NAME_VALUE_LISTS:
        for name, value in name_values(record.get(key)).items():
            put_new(fields, f"{PREFIX}{key}.{name}", value)
    _ecs(fields, record)
    stamp_record(fields, record, "CreationTime", "UTC")
    return fields
