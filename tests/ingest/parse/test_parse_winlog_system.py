"""One reader of a Windows event's ``<System>`` block (:mod:`ingest.parse.winlog_system`): the
same block as Sysmon for Linux's raw XML and as Windows Event Forwarding XML rendered to JSON
gives the same ``winlog.*`` fields, and ``Level`` is ECS ``log.level`` (where Winlogbeat puts
it), never ``winlog.level``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

EventFields = Callable[..., dict[str, Any]]

PROVIDER_GUID = "{ff032593-a8d3-4f13-b0d6-01fc615a0f97}"
DATA = (
    '<EventData><Data Name="Image">/usr/bin/wget</Data>'
    '<Data Name="ProcessId">3372</Data></EventData>'
)


def _system_xml(provider: str, channel: str, user_attribute: str) -> str:
    return (
        f'<System><Provider Name="{provider}" Guid="{PROVIDER_GUID}"/><EventID>1</EventID>'
        "<Version>5</Version><Level>4</Level><Task>1</Task><Opcode>0</Opcode>"
        "<Keywords>0x8000000000000000</Keywords>"
        '<TimeCreated SystemTime="2022-11-24T08:30:01.467399000Z"/>'
        '<EventRecordID>75097</EventRecordID><Correlation ActivityID="{A1}"/>'
        '<Execution ProcessID="1109" ThreadID="1110"/>'
        f"<Channel>{channel}</Channel><Computer>web-01</Computer>"
        f'<Security {user_attribute}="S-1-5-18"/></System>'
    )


def _rendered_json(channel: str) -> str:
    system = {
        "Provider": {"@Name": "Microsoft-Windows-Sysmon", "@Guid": PROVIDER_GUID},
        "EventID": "1",
        "Version": "5",
        "Level": "4",
        "Task": "1",
        "Opcode": "0",
        "Keywords": "0x8000000000000000",
        "TimeCreated": {"@SystemTime": "2022-11-24T08:30:01.4673990Z"},
        "EventRecordID": "75097",
        "Correlation": {"@ActivityID": "{A1}"},
        "Execution": {"@ProcessID": "1109", "@ThreadID": "1110"},
        "Channel": channel,
        "Computer": "web-01",
        "Security": {"@UserID": "S-1-5-18"},
    }
    data = {"Data": [{"@Name": "Image", "#text": "/usr/bin/wget"}]}
    return json.dumps({"Event": {"System": system, "EventData": data}})


EXPECTED_SYSTEM = {
    "winlog.event_id": "1",
    "winlog.version": "5",
    "log.level": "4",
    "winlog.task": "1",
    "winlog.opcode": "0",
    "winlog.keywords": "0x8000000000000000",
    "winlog.record_id": "75097",
    "winlog.activity_id": "{A1}",
    "winlog.process.pid": 1109,
    "winlog.process.thread.id": 1110,
    "winlog.computer_name": "web-01",
    "winlog.provider_guid": PROVIDER_GUID,
    "winlog.user.identifier": "S-1-5-18",
}


def _system_part(fields: dict[str, Any]) -> dict[str, Any]:
    return {key: fields.get(key) for key in EXPECTED_SYSTEM}


def test_sysmon_for_linux_and_wef_read_the_system_block_alike(event_fields: EventFields) -> None:
    # Sysmon for Linux writes Security/@UserId, Windows Security/@UserID: both are the user.
    xml = "<Event>" + _system_xml("Linux-Sysmon", "Linux-Sysmon/Operational", "UserId") + DATA
    sysmon = event_fields(xml + "</Event>", "sysmon_linux")
    wef = event_fields(_rendered_json("Microsoft-Windows-Sysmon/Operational"), "windows")
    assert _system_part(sysmon) == EXPECTED_SYSTEM
    assert _system_part(wef) == EXPECTED_SYSTEM
    for fields in (sysmon, wef):
        assert "winlog.level" not in fields
        assert "winlog.time_created" not in fields  # it became @timestamp
        assert fields["@timestamp"] == "2022-11-24T08:30:01.467399Z"


def test_a_hostile_system_value_is_bounded_and_a_bad_pid_left_out(
    event_fields: EventFields,
) -> None:
    xml = "<Event>" + _system_xml("Linux-Sysmon", "Linux-Sysmon/Operational", "UserId") + DATA
    xml = xml.replace("<Computer>web-01</Computer>", f"<Computer>{'x' * 5000}</Computer>")
    xml = xml.replace('ProcessID="1109"', 'ProcessID="1109; rm -rf /"')
    fields = event_fields(xml + "</Event>", "sysmon_linux")
    assert fields["winlog.computer_name"] == "x" * 256
    assert "winlog.process.pid" not in fields
    assert fields["winlog.process.thread.id"] == 1110
