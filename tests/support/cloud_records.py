"""Cloud audit records in the shapes AWS, Azure, Google Cloud and Microsoft 365 document for
their exports (CloudTrail record contents, Azure Monitor resource log schema and the Entra ID
sign-in/audit log schemas, Cloud Logging LogEntry with an AuditLog payload, the Office 365
Management Activity API common schema). The values are invented for Hanoi's tenant.
"""

from __future__ import annotations

import json
from typing import Any

ACCOUNT = "111122223333"
TENANT = "5f2b7c1e-3a4d-4e8f-9b0a-1c2d3e4f5a6b"
SUBSCRIPTION = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"

# EC2 snapshot shared with another account (SigmaHQ aws_snapshot_backup_exfiltration).
CLOUDTRAIL_SNAPSHOT_SHARED: dict[str, Any] = {
    "eventVersion": "1.09",
    "userIdentity": {
        "type": "AssumedRole",
        "principalId": "AROAEXAMPLEID:tuan.nguyen",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/QuanTriHaTang/tuan.nguyen",
        "accountId": ACCOUNT,
        "sessionContext": {
            "sessionIssuer": {"type": "Role", "userName": "QuanTriHaTang"},
            "attributes": {"creationDate": "2026-11-30T02:55:01Z", "mfaAuthenticated": "true"},
        },
    },
    "eventTime": "2026-11-30T03:12:45Z",
    "eventSource": "ec2.amazonaws.com",
    "eventName": "ModifySnapshotAttribute",
    "awsRegion": "ap-southeast-1",
    "sourceIPAddress": "203.0.113.7",
    "userAgent": "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0",
    "requestParameters": {
        "snapshotId": "snap-0f1e2d3c4b5a69788",
        "attributeType": "CREATE_VOLUME_PERMISSION",
        "createVolumePermission": {"add": {"items": [{"userId": "444455556666"}]}},
    },
    "responseElements": {"requestId": "9d3c1b2a-7e6f-4a5b-8c9d-0e1f2a3b4c5d", "_return": True},
    "requestID": "9d3c1b2a-7e6f-4a5b-8c9d-0e1f2a3b4c5d",
    "eventID": "b7f0c6e2-1d3a-4c5b-9e8f-7a6b5c4d3e2f",
    "readOnly": False,
    "eventType": "AwsApiCall",
    "managementEvent": True,
    "recipientAccountId": ACCOUNT,
    "eventCategory": "Management",
}
# The same call describing instead of sharing: must not fire.
CLOUDTRAIL_DESCRIBE = {
    **CLOUDTRAIL_SNAPSHOT_SHARED,
    "eventName": "DescribeSnapshots",
    "eventID": "c8a1d7f3-2e4b-4d6c-8f9a-8b7c6d5e4f3a",
    "requestParameters": {"maxResults": 100, "ownersSet": {"items": [{"owner": "self"}]}},
    "responseElements": None,
}
CLOUDTRAIL_CONSOLE_LOGIN_FAILED: dict[str, Any] = {
    "eventVersion": "1.09",
    "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLEUSER", "accountId": ACCOUNT,
                     "userName": "lan.pham"},
    "eventTime": "2026-11-30T04:01:02Z",
    "eventSource": "signin.amazonaws.com",
    "eventName": "ConsoleLogin",
    "awsRegion": "us-east-1",
    "sourceIPAddress": "198.51.100.23",
    "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
    "errorMessage": "Failed authentication",
    "requestParameters": None,
    "responseElements": {"ConsoleLogin": "Failure"},
    "additionalEventData": {"MFAUsed": "No", "LoginTo": "https://console.aws.amazon.com/"},
    "eventID": "d9b2e8a4-3f5c-4e7d-9a0b-9c8d7e6f5a4b",
    "eventType": "AwsConsoleSignIn",
    "recipientAccountId": ACCOUNT,
}  # fmt: skip


def _signin(result: str, description: str, agent: str, error: int) -> dict[str, Any]:
    return {
        "time": "2026-11-30T03:20:11.4620000Z",
        "resourceId": f"/tenants/{TENANT}/providers/Microsoft.aadiam",
        "operationName": "Sign-in activity",
        "operationVersion": "1.0",
        "category": "SignInLogs",
        "tenantId": TENANT,
        "resultType": result,
        "resultSignature": "None",
        "resultDescription": description,
        "durationMs": 0,
        "callerIpAddress": "203.0.113.45",
        "correlationId": "0c9d8e7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f",
        "identity": "Trần Thị Hương",
        "Level": 4,
        "location": "VN",
        "properties": {
            "id": "6e5d4c3b-2a19-4f8e-7d6c-5b4a39281706",
            "createdDateTime": "2026-11-30T03:20:11.4620000+00:00",
            "userDisplayName": "Trần Thị Hương",
            "userPrincipalName": "huong.tran@hanoi.gov.vn",
            "userId": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
            "appId": "1950a258-227b-4e31-a9cf-717495945fc2",
            "appDisplayName": "Microsoft Azure PowerShell",
            "ipAddress": "203.0.113.45",
            "status": {"errorCode": error, "failureReason": description},
            "clientAppUsed": "Mobile Apps and Desktop clients",
            "userAgent": agent,
            "deviceDetail": {"deviceId": "", "operatingSystem": "Windows 10", "browser": "",
                             "isCompliant": False, "isManaged": False, "trustType": ""},
            "location": {"city": "Hà Nội", "countryOrRegion": "VN"},
            "conditionalAccessStatus": "notApplied",
            "authenticationRequirement": "singleFactorAuthentication",
            "riskState": "none",
            "resourceDisplayName": "Windows Azure Active Directory",
            "networkLocationDetails": [],
        },
    }  # fmt: skip


# AzureHound's sign-in (SigmaHQ azure_ad_azurehound_discovery): success with its user agent.
AZURE_SIGNIN_AZUREHOUND = _signin("0", "", "azurehound/v2.1.7", 0)
AZURE_SIGNIN_BROWSER_FAILED = _signin(
    "50126",
    "Error validating credentials due to invalid username or password.",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Edg/131.0",
    50126,
)
# An Entra ID audit record: a user added to a privileged role.
AZURE_AUDIT_ROLE_MEMBER: dict[str, Any] = {
    "time": "2026-11-30T05:02:33.1180000Z",
    "resourceId": f"/tenants/{TENANT}/providers/Microsoft.aadiam",
    "operationName": "Add member to role",
    "operationVersion": "1.0",
    "category": "AuditLogs",
    "tenantId": TENANT,
    "resultSignature": "None",
    "durationMs": 0,
    "callerIpAddress": "<null>",
    "correlationId": "3e4f5a6b-7c8d-4e9f-0a1b-2c3d4e5f6a7b",
    "Level": 4,
    "properties": {
        "id": "Directory_3e4f5a6b-7c8d-4e9f-0a1b-2c3d4e5f6a7b_ABCDE_1",
        "category": "RoleManagement",
        "correlationId": "3e4f5a6b-7c8d-4e9f-0a1b-2c3d4e5f6a7b",
        "result": "success",
        "resultReason": "",
        "activityDisplayName": "Add member to role",
        "activityDateTime": "2026-11-30T05:02:33.1180000+00:00",
        "loggedByService": "Core Directory",
        "operationType": "Assign",
        "initiatedBy": {"user": {"id": "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a",
                                 "userPrincipalName": "admin.soc@hanoi.gov.vn",
                                 "ipAddress": "198.51.100.77"}},
        "targetResources": [
            {"id": "7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d", "displayName": "svc-backup",
             "type": "ServicePrincipal",
             "modifiedProperties": [
                 {"displayName": "Role.DisplayName", "oldValue": None,
                  "newValue": "\"Global Administrator\""},
                 {"displayName": "Role.TemplateId", "oldValue": None,
                  "newValue": "\"62e90394-69f5-4237-9190-012177145e10\""}]},
            {"id": "62e90394-69f5-4237-9190-012177145e10", "type": "Role",
             "displayName": "Global Administrator", "modifiedProperties": []},
        ],
        "additionalDetails": [{"key": "User-Agent", "value": "Mozilla/5.0"}],
    },
}  # fmt: skip
# An activity log record: a Key Vault secret written.
AZURE_ACTIVITY_SECRET_WRITE: dict[str, Any] = {
    "time": "2026-11-30T06:10:00.0000000Z",
    "resourceId": f"/SUBSCRIPTIONS/{SUBSCRIPTION.upper()}/RESOURCEGROUPS/RG-SOHANOI"
                  "/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV-CONGDAN",
    "operationName": "MICROSOFT.KEYVAULT/VAULTS/SECRETS/WRITE",
    "category": "Administrative",
    "resultType": "Success",
    "resultSignature": "Succeeded.Created",
    "durationMs": "412",
    "callerIpAddress": "203.0.113.90",
    "correlationId": "4b5c6d7e-8f9a-4b0c-1d2e-3f4a5b6c7d8e",
    "identity": {"claims": {"name": "minh.le@hanoi.gov.vn",
                            "http://schemas.microsoft.com/identity/claims/objectidentifier":
                                "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"}},
    "level": "Information",
    "location": "southeastasia",
    "properties": {"statusCode": "Created", "eventCategory": "Administrative",
                   "entity": "/subscriptions/…/vaults/kv-congdan/secrets/db-password",
                   "message": "Microsoft.KeyVault/vaults/secrets/write", "hierarchy": ""},
}  # fmt: skip
AZURE_RISK_DETECTION: dict[str, Any] = {
    "time": "2026-11-30T07:00:00.0000000Z",
    "resourceId": f"/tenants/{TENANT}/providers/microsoft.aadiam",
    "operationName": "User Risk Detection",
    "category": "UserRiskEvents",
    "tenantId": TENANT,
    "properties": {"id": "a1b2c3d4e5f6", "riskEventType": "unfamiliarFeatures",
                   "riskState": "atRisk", "riskLevel": "medium", "source": "IdentityProtection",
                   "ipAddress": "198.51.100.200", "userPrincipalName": "huong.tran@hanoi.gov.vn",
                   "userId": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
                   "activityDateTime": "2026-11-30T06:58:10Z"},
}  # fmt: skip


def _gcp(method: str, permission: str, service: str = "compute.googleapis.com") -> dict[str, Any]:
    return {
        "insertId": "-x1y2z3a4b5c",
        "logName": "projects/so-tttt-hanoi/logs/cloudaudit.googleapis.com%2Factivity",
        "protoPayload": {
            "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
            "status": {},
            "authenticationInfo": {"principalEmail": "quantri@hanoi.gov.vn"},
            "requestMetadata": {"callerIp": "203.0.113.12",
                                "callerSuppliedUserAgent": "google-cloud-sdk gcloud/460.0.0"},
            "serviceName": service,
            "methodName": method,
            "authorizationInfo": [{"permission": permission, "granted": True,
                                   "resource": "projects/so-tttt-hanoi/global/firewalls/ssh"}],
            "resourceName": "projects/so-tttt-hanoi/global/firewalls/allow-ssh-all",
            "request": {"@type": "type.googleapis.com/compute.firewalls.delete"},
        },
        "resource": {"type": "gce_firewall_rule",
                     "labels": {"project_id": "so-tttt-hanoi", "firewall_rule_id": "4242"}},
        "timestamp": "2026-11-30T03:30:00.123456Z",
        "severity": "NOTICE",
        "receiveTimestamp": "2026-11-30T03:30:01.000000Z",
    }  # fmt: skip


GCP_FIREWALL_DELETE = _gcp("v1.compute.firewalls.delete", "compute.firewalls.delete")
GCP_FIREWALL_LIST = _gcp("v1.compute.firewalls.list", "compute.firewalls.list")
WORKSPACE_ADMIN_SETTING: dict[str, Any] = {
    "insertId": "wsadm42",
    "logName": "organizations/123456789012/logs/cloudaudit.googleapis.com%2Factivity",
    "protoPayload": {
        "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
        "authenticationInfo": {"principalEmail": "superadmin@hanoi.gov.vn"},
        "requestMetadata": {"callerIp": "203.0.113.66"},
        "serviceName": "admin.googleapis.com",
        "methodName": "google.admin.AdminService.changeApplicationSetting",
        "resourceName": "organizations/123456789012",
        "metadata": {
            "@type": "type.googleapis.com/ccc_hosted_reporting.ActivityProto",
            "event": [{"eventType": "APPLICATION_SETTINGS",
                       "eventName": "CHANGE_APPLICATION_SETTING",
                       "parameter": [
                           {"type": "TYPE_STRING", "name": "SETTING_NAME",
                            "value": "ContextAwareAccess Access Level"},
                           {"type": "TYPE_STRING", "name": "NEW_VALUE", "value": "none"},
                           {"type": "TYPE_STRING", "name": "APPLICATION_NAME",
                            "value": "Gmail"}]}],
        },
    },
    "resource": {"type": "audited_resource", "labels": {"service": "admin.googleapis.com"}},
    "timestamp": "2026-11-30T08:00:00Z",
    "severity": "NOTICE",
}  # fmt: skip
M365_CMSI_LOGIN: dict[str, Any] = {
    "CreationTime": "2026-11-30T09:15:00",
    "Id": "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f",
    "Operation": "UserLoggedIn",
    "OrganizationId": TENANT,
    "RecordType": 15,
    "ResultStatus": "Success",
    "UserKey": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
    "UserType": 0,
    "Version": 1,
    "Workload": "AzureActiveDirectory",
    "ClientIP": "203.0.113.45:51234",
    "ObjectId": "00000002-0000-0ff1-ce00-000000000000",
    "UserId": "huong.tran@hanoi.gov.vn",
    "AzureActiveDirectoryEventType": 1,
    "ExtendedProperties": [{"Name": "ResultStatusDetail", "Value": "Redirect"},
                           {"Name": "UserAgent", "Value": "Mozilla/5.0"},
                           {"Name": "RequestType", "Value": "Cmsi:Cmsi"}],
    "ApplicationId": "9ba1a5c7-f17a-4de9-a1f1-6178c8d51223",
    "ErrorNumber": "0",
}  # fmt: skip
M365_NORMAL_LOGIN = {
    **M365_CMSI_LOGIN,
    "Id": "3d4e5f6a-7b8c-4d9e-0f1a-2b3c4d5e6f7a",
    "ExtendedProperties": [{"Name": "RequestType", "Value": "Login:login"}],
}


def line(record: dict[str, Any]) -> str:
    """One record as one line, as an export writes it."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


# The records above by the parser that reads them.
BY_PARSER: dict[str, list[dict[str, Any]]] = {
    "cloudtrail": [CLOUDTRAIL_SNAPSHOT_SHARED, CLOUDTRAIL_DESCRIBE,
                   CLOUDTRAIL_CONSOLE_LOGIN_FAILED],
    "azure": [AZURE_SIGNIN_AZUREHOUND, AZURE_SIGNIN_BROWSER_FAILED, AZURE_AUDIT_ROLE_MEMBER,
              AZURE_ACTIVITY_SECRET_WRITE, AZURE_RISK_DETECTION],
    "gcp_audit": [GCP_FIREWALL_DELETE, GCP_FIREWALL_LIST, WORKSPACE_ADMIN_SETTING],
    "o365": [M365_CMSI_LOGIN, M365_NORMAL_LOGIN],
}  # fmt: skip


def lines(parser: str) -> list[str]:
    return [line(record) for record in BY_PARSER[parser]]
