"""The public cloud audit parsers (CloudTrail, Azure Monitor, GCP audit / Google Workspace,
Microsoft 365) on records in their exports' shapes (tests/support/cloud_records.py)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from canhgac.errors import ParseError
from canhgac.models import DeadLetter, Event
from ingest.parse.azure import parse_azure
from ingest.parse.base import Origin
from ingest.parse.cloudtrail import parse_cloudtrail
from ingest.parse.gcp_audit import parse_gcp_audit
from ingest.parse.o365 import parse_o365
from ingest.parse.record import to_record
from ingest.sources.http_body import decode_json
from tests.support import cloud_records as cloud


def origin(parser: str, dataset: str | None = None) -> Origin:
    return Origin("cloud", f"test:{parser}", "2026-11-30T10:00:00.000000Z", parser=parser,
                  dataset=dataset)  # fmt: skip


def test_a_cloudtrail_record_keeps_its_names_and_gets_ecs() -> None:
    fields = parse_cloudtrail(cloud.line(cloud.CLOUDTRAIL_SNAPSHOT_SHARED), origin("cloudtrail"))
    assert fields["event.dataset"] == "aws.cloudtrail"
    assert fields["aws.cloudtrail.eventName"] == "ModifySnapshotAttribute"
    assert fields["aws.cloudtrail.userIdentity.type"] == "AssumedRole"
    assert fields["aws.cloudtrail.userIdentity.sessionContext.sessionIssuer.type"] == "Role"
    assert fields["aws.cloudtrail.requestParameters.attributeType"] == "CREATE_VOLUME_PERMISSION"
    # objects in arrays: every element's value; the whole part as text for |contains rules
    assert (
        fields["aws.cloudtrail.requestParameters.createVolumePermission.add.items.userId"]
        == "444455556666"  # one element: its value, which SQLite compares too
    )
    assert '"userId":"444455556666"' in fields["aws.cloudtrail.requestParameters"]
    assert fields["aws.cloudtrail.responseElements._return"] == "true"  # keywords only
    assert fields["event.action"] == "ModifySnapshotAttribute"
    assert fields["event.provider"] == "ec2.amazonaws.com"
    assert fields["cloud.provider"] == "aws"
    assert fields["cloud.account.id"] == cloud.ACCOUNT
    assert fields["cloud.region"] == "ap-southeast-1"
    assert fields["source.ip"] == "203.0.113.7"
    assert fields["user.name"] == "tuan.nguyen"  # the assumed role's session name
    assert fields["event.category"] == ["configuration"] and fields["event.type"] == ["change"]
    assert fields["event.outcome"] == "success"
    assert fields["@timestamp"] == "2026-11-30T03:12:45.000000Z"


def test_a_failed_console_login_is_a_failed_authentication() -> None:
    record = cloud.CLOUDTRAIL_CONSOLE_LOGIN_FAILED
    fields = parse_cloudtrail(cloud.line(record), origin("cloudtrail"))
    assert fields["event.category"] == ["authentication"]
    assert fields["event.type"] == ["start"]
    assert fields["event.outcome"] == "failure"
    assert fields["user.name"] == "lan.pham"
    assert fields["aws.cloudtrail.additionalEventData.MFAUsed"] == "No"
    assert "aws.cloudtrail.requestParameters" not in fields  # null is nothing


def test_an_s3_file_envelope_of_one_record_is_that_record() -> None:
    text = json.dumps({"Records": [cloud.CLOUDTRAIL_DESCRIBE]})
    fields = parse_cloudtrail(text, origin("cloudtrail"))
    assert fields["aws.cloudtrail.eventName"] == "DescribeSnapshots"
    assert fields["aws.cloudtrail.requestParameters.maxResults"] == "100"


def test_an_envelope_of_several_records_on_one_line_says_how_to_send_it() -> None:
    text = json.dumps({"Records": [cloud.CLOUDTRAIL_DESCRIBE, cloud.CLOUDTRAIL_DESCRIBE]})
    with pytest.raises(
        ParseError, match="envelope .* of 2 records: read it with a file or HTTP source"
    ):
        parse_cloudtrail(text, origin("cloudtrail"))


def test_the_http_source_splits_an_envelope_into_one_event_per_record() -> None:
    records = [cloud.CLOUDTRAIL_SNAPSHOT_SHARED, cloud.CLOUDTRAIL_CONSOLE_LOGIN_FAILED]
    body = json.dumps({"Records": records}).encode()
    decoded = decode_json(body, origin("cloudtrail"), lambda digest: "req-" + digest[:8])
    assert decoded.dead_letters == []
    assert [e.fields["event.action"] for e in decoded.events] == [
        "ModifySnapshotAttribute",
        "ConsoleLogin",
    ]
    assert len({e.id for e in decoded.events}) == 2
    # the same body for another parser is one record (JSON application logs keep their keys)
    plain = decode_json(body, origin("json"), lambda digest: "req-" + digest[:8])
    assert len(plain.events) == 1


def test_azure_sign_in_logs() -> None:
    fields = parse_azure(cloud.line(cloud.AZURE_SIGNIN_BROWSER_FAILED), origin("azure"))
    assert fields["event.dataset"] == "azure.signinlogs"
    assert fields["azure.signinlogs.resultType"] == "50126"
    assert fields["azure.signinlogs.properties.status.errorCode"] == "50126"
    assert fields["azure.signinlogs.properties.deviceDetail.isCompliant"] == "false"
    assert fields["azure.signinlogs.properties.location.city"] == "Hà Nội"
    assert fields["event.category"] == ["authentication"]
    assert fields["event.outcome"] == "failure"
    assert fields["user.name"] == "huong.tran@hanoi.gov.vn"
    assert fields["source.ip"] == "203.0.113.45"
    assert fields["cloud.account.id"] == cloud.TENANT
    assert fields["@timestamp"] == "2026-11-30T03:20:11.462000Z"
    success = parse_azure(cloud.line(cloud.AZURE_SIGNIN_AZUREHOUND), origin("azure"))
    assert success["event.outcome"] == "success"
    assert success["user_agent.original"] == "azurehound/v2.1.7"


def test_azure_audit_logs_keep_targets_and_modified_properties_by_name() -> None:
    fields = parse_azure(cloud.line(cloud.AZURE_AUDIT_ROLE_MEMBER), origin("azure"))
    assert fields["event.dataset"] == "azure.auditlogs"
    prefix = "azure.auditlogs.properties."
    assert fields[prefix + "targetResources.type"] == ["ServicePrincipal", "Role"]
    assert fields[prefix + "targetResources.modifiedProperties.displayName"] == [
        "Role.DisplayName",
        "Role.TemplateId",
    ]
    assert (
        fields[prefix + "targetResources.modifiedProperties.Role.DisplayName"]
        == "Global Administrator"
    )
    assert fields[prefix + "additionalDetails.User-Agent"] == "Mozilla/5.0"
    assert fields["event.category"] == ["iam"] and fields["event.outcome"] == "success"
    assert fields["user.name"] == "admin.soc@hanoi.gov.vn"
    assert "source.ip" not in fields  # "<null>" is no address
    assert "azure.auditlogs.properties.initiatedBy" in fields  # whole, for |contains rules


def test_azure_activity_log_and_risk_detection_datasets() -> None:
    activity = parse_azure(cloud.line(cloud.AZURE_ACTIVITY_SECRET_WRITE), origin("azure"))
    assert activity["event.dataset"] == "azure.activitylogs"
    assert activity["event.provider"] == "MICROSOFT.KEYVAULT"
    assert activity["cloud.account.id"] == cloud.SUBSCRIPTION.upper()
    assert activity["user.name"] == "minh.le@hanoi.gov.vn"
    assert activity["event.outcome"] == "success"
    risk = parse_azure(cloud.line(cloud.AZURE_RISK_DETECTION), origin("azure"))
    assert risk["event.dataset"] == "azure.identity_protection"
    assert risk["azure.identity_protection.properties.riskEventType"] == "unfamiliarFeatures"


def test_an_azure_event_hub_message_of_several_records_splits_over_http() -> None:
    records = [cloud.AZURE_SIGNIN_AZUREHOUND, cloud.AZURE_AUDIT_ROLE_MEMBER, 42]
    body = json.dumps({"records": records}).encode()
    decoded = decode_json(body, origin("azure"), lambda digest: "req-" + digest[:8])
    assert [e.fields["event.dataset"] for e in decoded.events] == [
        "azure.signinlogs",
        "azure.auditlogs",
    ]
    assert [d.reason for d in decoded.dead_letters] == ["array element 2 is not a JSON object"]


def test_another_azure_resource_log_is_kept_as_platform_logs() -> None:
    record = {"time": "2026-11-30T01:00:00Z", "category": "AuditEvent",
              "operationName": "SecretGet", "resourceId": "/SUBSCRIPTIONS/X/PROVIDERS/"
              "MICROSOFT.KEYVAULT/VAULTS/KV1", "properties": {"id": "kv1"}}  # fmt: skip
    fields = parse_azure(json.dumps(record), origin("azure"))
    assert fields["event.dataset"] == "azure.platformlogs"
    assert fields["azure.platformlogs.operationName"] == "SecretGet"


def test_gcp_audit_entry() -> None:
    fields = parse_gcp_audit(cloud.line(cloud.GCP_FIREWALL_DELETE), origin("gcp_audit"))
    assert fields["event.dataset"] == "gcp.audit"
    assert fields["gcp.audit.method_name"] == "v1.compute.firewalls.delete"
    assert fields["gcp.audit.service_name"] == "compute.googleapis.com"
    assert fields["gcp.audit.protoPayload.authorizationInfo.permission"] == (
        "compute.firewalls.delete"
    )
    assert fields["gcp.audit.protoPayload.authorizationInfo.granted"] == "true"
    assert fields["event.action"] == "v1.compute.firewalls.delete"
    assert fields["user.email"] == "quantri@hanoi.gov.vn"
    assert fields["source.ip"] == "203.0.113.12"
    assert fields["cloud.project.id"] == "so-tttt-hanoi"
    assert fields["event.outcome"] == "success"
    assert fields["@timestamp"] == "2026-11-30T03:30:00.123456Z"


def test_a_pubsub_message_wrapping_the_entry_is_unwrapped() -> None:
    text = json.dumps({"data": cloud.GCP_FIREWALL_LIST, "attributes": {}})
    fields = parse_gcp_audit(text, origin("gcp_audit"))
    assert fields["gcp.audit.method_name"] == "v1.compute.firewalls.list"


def test_google_workspace_admin_event_parameters_by_name() -> None:
    fields = parse_gcp_audit(cloud.line(cloud.WORKSPACE_ADMIN_SETTING), origin("gcp_audit"))
    assert fields["event.dataset"] == "google_workspace.admin"
    assert fields["event.module"] == "google_workspace"
    assert fields["google_workspace.admin.setting_name"] == "ContextAwareAccess Access Level"
    assert fields["google_workspace.admin.new_value"] == "none"
    assert fields["gcp.audit.protoPayload.metadata.event.eventName"] == (
        "CHANGE_APPLICATION_SETTING"
    )
    assert fields["event.category"] == ["iam"]


def test_a_microsoft_365_record() -> None:
    fields = parse_o365(cloud.line(cloud.M365_CMSI_LOGIN), origin("o365"))
    assert fields["event.dataset"] == "o365.audit"
    assert fields["o365.audit.Operation"] == "UserLoggedIn"
    assert fields["o365.audit.RecordType"] == "15"
    assert fields["o365.audit.ExtendedProperties.RequestType"] == "Cmsi:Cmsi"
    assert fields["source.ip"] == "203.0.113.45"  # the port is cut off
    assert fields["event.category"] == ["authentication"]
    assert fields["event.outcome"] == "success"
    assert fields["user.name"] == "huong.tran@hanoi.gov.vn"
    assert fields["@timestamp"] == "2026-11-30T09:15:00.000000Z"  # UTC, not the source's zone


@pytest.mark.parametrize(
    ("parser", "text", "reason"),
    [
        ("cloudtrail", "{not json", "invalid JSON"),
        ("cloudtrail", '["eventName"]', "not an object"),
        ("cloudtrail", '{"eventName": "X"}', "not a CloudTrail record"),
        ("cloudtrail", '{"Records": "x"}', "not a CloudTrail record"),
        ("azure", '{"category": "SignInLogs"}', "not an Azure Monitor record"),
        ("azure", '{"records": []}', "envelope .* of 0 records"),
        ("gcp_audit", '{"protoPayload": "x"}', "no protoPayload object"),
        ("gcp_audit", '{"data": 3}', "no protoPayload object"),
        ("o365", '{"Operation": 7, "CreationTime": "x"}', "not a Microsoft 365 audit record"),
        ("o365", '{"Operation": "' + "x" * 1_100_000 + '", "CreationTime": 1}', "1 MiB"),
        ("cloudtrail", '{"eventName":"a","eventSource":"b","r":' + "[" * 40 + "]" * 40 + "}",
         "deeper than 32"),
    ],
)  # fmt: skip
def test_bad_records_are_dead_letters_with_the_reason(parser: str, text: str, reason: str) -> None:
    record = to_record(text.encode(), origin(parser), 7)
    assert isinstance(record, DeadLetter)
    assert re.search(reason, record.reason), record.reason


def test_too_many_fields_is_a_dead_letter_not_a_crash() -> None:
    wide: dict[str, Any] = {"eventName": "a", "eventSource": "b",
                            "requestParameters": {f"k{i}": i for i in range(2_100)}}  # fmt: skip
    record = to_record(json.dumps(wide).encode(), origin("cloudtrail"), 0)
    assert isinstance(record, DeadLetter) and "more than 2000 keys" in record.reason


def test_long_arrays_keep_their_first_values_only() -> None:
    record = {"eventName": "a", "eventSource": "b",
              "requestParameters": {"ids": [{"id": str(i)} for i in range(1_000)]}}  # fmt: skip
    event = to_record(json.dumps(record).encode(), origin("cloudtrail"), 0)
    assert isinstance(event, Event)
    assert len(event.fields["aws.cloudtrail.requestParameters.ids.id"]) == 256


def test_name_value_lists_count_toward_the_field_limit() -> None:
    def target(number: int) -> dict[str, Any]:
        changes = [{"displayName": f"t{number}.p{i}", "newValue": '"x"'} for i in range(256)]
        return {"type": "User", "modifiedProperties": changes}

    def audit(targets: int) -> str:
        properties = {"targetResources": [target(n) for n in range(targets)]}
        return cloud.line({**cloud.AZURE_AUDIT_ROLE_MEMBER, "properties": properties})

    # 4 targets of 256 changed properties: 1,024 fields by name, within the limit
    kept = to_record(audit(4).encode(), origin("azure"), 0)
    assert isinstance(kept, Event)
    assert (
        kept.fields["azure.auditlogs.properties.targetResources.modifiedProperties.t3.p255"] == "x"
    )
    # 16 of them: 4,096, beyond the 2,000 fields any JSON record may have
    rejected = to_record(audit(16).encode(), origin("azure"), 1)
    assert isinstance(rejected, DeadLetter) and "more than 2000 keys" in rejected.reason
