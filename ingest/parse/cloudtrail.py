"""AWS CloudTrail records: one per line (CloudTrail Lake export, EventBridge, Firehose), or
an S3 file's ``{"Records": [...]}`` on one line, which the file and HTTP sources split into
one event per record::

    {"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDA…",
     "arn":"arn:aws:iam::111122223333:user/minh","accountId":"111122223333",
     "userName":"minh"},"eventTime":"2026-11-30T03:12:45Z","eventSource":"iam.amazonaws.com",
     "eventName":"CreateAccessKey","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7",
     "userAgent":"aws-cli/2.15.0","requestParameters":{"userName":"backup"},
     "responseElements":{…},"eventID":"…","eventType":"AwsApiCall",
     "recipientAccountId":"111122223333"}

The record is kept under ``aws.cloudtrail.`` with CloudTrail's own names (what SigmaHQ's
rules compare: ``eventName``, ``userIdentity.type``, ``requestParameters.attribute``).
"""

from __future__ import annotations

from typing import Any

from canhgac.errors import ParseError
from ingest.parse.base import Fields, Origin
from ingest.parse.cloud_record import child_text, keep_record, load_records, stamp_record
from ingest.parse.ecs import put_address
from ingest.parse.jsonlog import has_escapes
from ingest.parse.timestamps import zone_of

DATASET = "aws.cloudtrail"
PREFIX = "aws.cloudtrail."
# The leading verb of an API call's name -> ECS event.type.
_VERB_TYPES = {
    "Create": "creation", "Put": "creation", "Run": "creation", "Add": "creation",
    "Import": "creation", "Register": "creation", "Allocate": "creation",
    "Delete": "deletion", "Remove": "deletion", "Terminate": "deletion",
    "Deregister": "deletion", "Revoke": "deletion", "Detach": "change",
    "Update": "change", "Modify": "change", "Attach": "change", "Set": "change",
    "Enable": "change", "Disable": "change", "Stop": "change", "Start": "change",
    "Reset": "change", "Associate": "change", "Disassociate": "change",
    "Authorize": "change", "Replace": "change", "Tag": "change", "Untag": "change",
    "Get": "access", "List": "access", "Describe": "access", "Lookup": "access",
}  # fmt: skip
_IAM_SOURCES = frozenset(("iam.amazonaws.com", "sts.amazonaws.com", "sso.amazonaws.com"))


def _event_type(action: str) -> str:
    verb = next((verb for verb in _VERB_TYPES if action.startswith(verb)), None)
    return _VERB_TYPES[verb] if verb else "info"


def _categorize(fields: Fields, record: dict[str, Any]) -> None:
    action = child_text(record, "eventName") or ""
    source = child_text(record, "eventSource") or ""
    if action in ("ConsoleLogin", "GetFederationToken") or source == "signin.amazonaws.com":
        fields["event.category"] = ["authentication"]
        fields["event.type"] = ["start" if action == "ConsoleLogin" else "info"]
        login = child_text(record, "responseElements", "ConsoleLogin")
        if login in ("Success", "Failure"):
            fields["event.outcome"] = login.lower()
    elif source in _IAM_SOURCES:
        kind = _event_type(action)
        fields["event.category"] = ["iam"]
        fields["event.type"] = ["info" if kind == "access" else kind]
    else:
        fields["event.category"] = ["configuration"]
        fields["event.type"] = [_event_type(action)]
    if "event.outcome" not in fields:
        failed = child_text(record, "errorCode") or child_text(record, "errorMessage")
        fields["event.outcome"] = "failure" if failed else "success"


def _identity(fields: Fields, record: dict[str, Any]) -> None:
    name = child_text(record, "userIdentity", "userName")
    arn = child_text(record, "userIdentity", "arn")
    if name is None and arn and "/" in arn:
        name = arn.rsplit("/", 1)[1]  # an assumed role's session name, a root's "root"
    if name:
        fields["user.name"] = name
    if principal := child_text(record, "userIdentity", "principalId"):
        fields["user.id"] = principal
    account = child_text(record, "recipientAccountId") or child_text(
        record, "userIdentity", "accountId"
    )
    if account:
        fields["cloud.account.id"] = account


def _ecs(fields: Fields, record: dict[str, Any], origin: Origin) -> None:
    for key, target in (("eventName", "event.action"), ("eventSource", "event.provider"),
                        ("awsRegion", "cloud.region"), ("eventID", "event.id"),
                        ("userAgent", "user_agent.original")):  # fmt: skip
        if (value := child_text(record, key)) is not None:
            fields[target] = value
    # A service acting for the caller writes its name here ("ec2.amazonaws.com").
    put_address(fields, "source", child_text(record, "sourceIPAddress"))
    _identity(fields, record)
    _categorize(fields, record)
    stamp_record(fields, record, "eventTime", zone_of(origin))


def parse_cloudtrail(text: str, origin: Origin) -> Fields:
    record = load_records(text, "Records")
    if not isinstance(record.get("eventName"), str) or not isinstance(
        record.get("eventSource"), str
    ):
        raise ParseError("not a CloudTrail record (no eventName and eventSource)")
    fields: Fields = {
        "event.dataset": origin.dataset or DATASET,
        "event.module": "aws",
        "event.kind": "event",
        "cloud.provider": "aws",
    }
    keep_record(fields, record, PREFIX, escaped=has_escapes(text))
    _ecs(fields, record, origin)
    return fields
