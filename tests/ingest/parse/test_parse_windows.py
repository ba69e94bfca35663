"""The Windows event parser (winlogbeat and nxlog JSON)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from canhgac.errors import ParseError
from ingest.parse.base import Origin
from ingest.parse.windows import dataset_for, parse_windows

OriginFactory = Callable[..., Origin]

WINLOGBEAT = {
    "@timestamp": "2024-03-05T07:02:11.482Z",
    "event": {"code": "4625", "kind": "event", "provider": "Microsoft-Windows-Security-Auditing"},
    "host": {"name": "dc01"},
    "message": "An account failed to log on.",
    "winlog": {
        "channel": "Security",
        "computer_name": "DC01.hanoi.gov.vn",
        "event_id": "4625",
        "provider_name": "Microsoft-Windows-Security-Auditing",
        "record_id": 5512345,
        "event_data": {
            "SubjectUserName": "-",
            "TargetUserName": "nguyenvana",
            "TargetDomainName": "HANOI",
            "LogonType": "3",
            "IpAddress": "10.20.30.40",
            "IpPort": "51234",
            "Status": "0xc000006d",
        },
    },
}

NXLOG = {
    "EventTime": "2024-03-05 14:02:11",
    "Hostname": "WS-KETOAN-07.hanoi.gov.vn",
    "Keywords": -9223372036854775808,
    "EventType": "INFO",
    "SeverityValue": 2,
    "Severity": "INFO",
    "EventID": 1,
    "SourceName": "Microsoft-Windows-Sysmon",
    "ProviderGuid": "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}",
    "Version": 5,
    "Task": 1,
    "OpcodeValue": 0,
    "RecordNumber": 88123,
    "ProcessID": 3120,
    "ThreadID": 4040,
    "Channel": "Microsoft-Windows-Sysmon/Operational",
    "Domain": "NT AUTHORITY",
    "AccountName": "SYSTEM",
    "UserID": "S-1-5-18",
    "AccountType": "User",
    "Message": "Process Create: ...",
    "Category": "Process Create (rule: ProcessCreate)",
    "Opcode": "Info",
    "Image": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
    "CommandLine": "powershell.exe -nop -w hidden -enc SQBFAFgA",
    "ParentImage": "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
    "User": "HANOI\\tranthib",
    "EventReceivedTime": "2024-03-05 14:02:12",
    "SourceModuleName": "eventlog",
    "SourceModuleType": "im_msvistalog",
}


def pick(fields: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: fields.get(key, "<absent>") for key in keys}


COMMON = (
    "event.dataset",
    "event.module",
    "event.code",
    "winlog.channel",
    "winlog.computer_name",
    "host.name",
    "winlog.provider_name",
    "winlog.record_id",
    "user.name",
    "message",
    "@timestamp",
)


def test_winlogbeat(make_origin: OriginFactory) -> None:
    fields = parse_windows(json.dumps(WINLOGBEAT), make_origin("windows"))
    assert pick(fields, *COMMON) == {
        "event.dataset": "windows.security",
        "event.module": "windows",
        "event.code": "4625",
        "winlog.channel": "Security",
        "winlog.computer_name": "DC01.hanoi.gov.vn",
        "host.name": "DC01.hanoi.gov.vn",
        "winlog.provider_name": "Microsoft-Windows-Security-Auditing",
        "winlog.record_id": "5512345",
        "user.name": "nguyenvana",
        "message": "An account failed to log on.",
        "@timestamp": "2024-03-05T07:02:11.482000Z",
    }
    assert pick(fields, "winlog.event_data.LogonType", "source.ip", "source.port") == {
        "winlog.event_data.LogonType": "3",
        "source.ip": "10.20.30.40",
        "source.port": 51234,
    }


def test_nxlog(make_origin: OriginFactory) -> None:
    fields = parse_windows(json.dumps(NXLOG), make_origin("windows"))
    assert pick(fields, *COMMON) == {
        "event.dataset": "windows.sysmon",
        "event.module": "windows",
        "event.code": "1",
        "winlog.channel": "Microsoft-Windows-Sysmon/Operational",
        "winlog.computer_name": "WS-KETOAN-07.hanoi.gov.vn",
        "host.name": "WS-KETOAN-07.hanoi.gov.vn",
        "winlog.provider_name": "Microsoft-Windows-Sysmon",
        "winlog.record_id": "88123",
        "user.name": "<absent>",
        "message": "Process Create: ...",
        "@timestamp": "2024-03-05T07:02:11.000000Z",  # local EventTime in the source's zone
    }
    assert pick(
        fields,
        "winlog.event_data.CommandLine",
        "winlog.event_data.User",
        "process.command_line",
        "process.executable",
        "process.parent.executable",
        "winlog.user.name",
        "winlog.keywords",
        "hanoi.nxlog.SourceModuleType",
    ) == {
        "winlog.event_data.CommandLine": "powershell.exe -nop -w hidden -enc SQBFAFgA",
        "winlog.event_data.User": "HANOI\\tranthib",
        "process.command_line": "powershell.exe -nop -w hidden -enc SQBFAFgA",
        "process.executable": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        "process.parent.executable": (
            "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE"
        ),
        "winlog.user.name": "SYSTEM",
        "winlog.keywords": "-9223372036854775808",
        "hanoi.nxlog.SourceModuleType": "im_msvistalog",
    }
    # The system fields are not mistaken for EventData.
    assert "winlog.event_data.Hostname" not in fields


def test_winlogbeat_user_data_and_integer_event_id(make_origin: OriginFactory) -> None:
    record = {
        "winlog": {
            "channel": "Security",
            "event_id": 1102,
            "user_data": {"SubjectUserName": "tranthib", "SubjectDomainName": "HANOI"},
        },
        "@timestamp": "2024-03-05T07:02:11Z",
    }
    fields = parse_windows(json.dumps(record), make_origin())
    assert pick(fields, "event.code", "winlog.event_data.SubjectUserName", "user.name") == {
        "event.code": "1102",
        "winlog.event_data.SubjectUserName": "tranthib",
        "user.name": "tranthib",
    }


@pytest.mark.parametrize(
    ("channel", "dataset"),
    [
        ("Security", "windows.security"),
        ("System", "windows.system"),
        ("Windows PowerShell", "windows.powershell"),
        ("Microsoft-Windows-PowerShell/Operational", "windows.powershell"),
        ("Microsoft-Windows-Sysmon/Operational", "windows.sysmon"),
        (
            "Microsoft-Windows-TaskScheduler/Operational",
            "windows.microsoft_windows_taskscheduler_operational",
        ),
        ("Application", "windows.application"),
    ],
)
def test_dataset_for_channel(channel: str, dataset: str) -> None:
    assert dataset_for(channel) == dataset


def test_configured_dataset_wins(make_origin: OriginFactory) -> None:
    fields = parse_windows(json.dumps(NXLOG), make_origin(dataset="windows.dc"))
    assert fields["event.dataset"] == "windows.dc"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"Channel": "Security", "Message": "x"}', "without EventID"),
        ('{"winlog": {"channel": "Security"}}', "without winlog.event_id"),
        ("[1]", "not an object"),
        ("EventID=4625", "invalid JSON"),
    ],
)
def test_structural_errors(line: str, reason: str, make_origin: OriginFactory) -> None:
    with pytest.raises(ParseError, match=reason):
        parse_windows(line, make_origin())


@pytest.mark.parametrize("parser", ["windows", "auto"])
def test_nxlog_integer_beyond_64_bits_stays_exact(
    event_fields: Callable[..., dict[str, Any]], parser: str
) -> None:
    line = (
        '{"EventID": 4625, "Channel": "Security", "Keywords": -92188684372274053120,'
        ' "TargetUserName": "tranthib", "Counter": 123456789012345678901234567890}'
    )
    fields = event_fields(line, parser)
    assert fields["winlog.keywords"] == "-92188684372274053120"
    assert fields["winlog.event_data.Counter"] == "123456789012345678901234567890"
    assert fields["user.name"] == "tranthib"
