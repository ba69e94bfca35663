"""Windows event log records as JSON, from winlogbeat or from nxlog (``im_msvistalog``).

winlogbeat nests the record under ``winlog`` (``winlog.event_data.TargetUserName``) and is
already ECS, so its document is flattened as is and completed. nxlog puts the system fields
and the EventData fields side by side at the top level; everything that is not a known nxlog
system field becomes ``winlog.event_data.<Name>``.
"""

from __future__ import annotations

import re
from typing import Any

from canhgac.errors import ParseError
from ingest.parse.base import Fields, Origin
from ingest.parse.ecs import put_address, put_int, put_text
from ingest.parse.jsonlog import apply_timestamp, exactly, flatten, load_object
from ingest.parse.timestamps import any_time, zone_of

_CHANNEL_DATASETS = {
    "security": "windows.security",
    "microsoft-windows-sysmon/operational": "windows.sysmon",
    "microsoft-windows-powershell/operational": "windows.powershell",
    "windows powershell": "windows.powershell",
    "system": "windows.system",
}
_NOT_ALNUM = re.compile(r"[^a-z0-9]")
_NXLOG_SYSTEM = {
    "EventID": "winlog.event_id",
    "Channel": "winlog.channel",
    "Hostname": "winlog.computer_name",
    "SourceName": "winlog.provider_name",
    "ProviderGuid": "winlog.provider_guid",
    "RecordNumber": "winlog.record_id",
    "Category": "winlog.task",
    "Opcode": "winlog.opcode",
    "Keywords": "winlog.keywords",
    "EventType": "winlog.event_type",
    "Version": "winlog.version",
    "ProcessID": "winlog.process.pid",
    "ThreadID": "winlog.process.thread.id",
    "ActivityID": "winlog.activity_id",
    "RelatedActivityID": "winlog.related_activity_id",
    "Domain": "winlog.user.domain",
    "AccountName": "winlog.user.name",
    "UserID": "winlog.user.identifier",
    "AccountType": "winlog.user.type",
    "Message": "message",
    "EventTime": "nxlog.EventTime",
    "EventReceivedTime": "nxlog.EventReceivedTime",
    "SourceModuleName": "nxlog.SourceModuleName",
    "SourceModuleType": "nxlog.SourceModuleType",
    "Severity": "nxlog.Severity",
    "SeverityValue": "nxlog.SeverityValue",
    "OpcodeValue": "nxlog.OpcodeValue",
    "Task": "nxlog.Task",
    "ExecutionProcessID": "nxlog.ExecutionProcessID",
}
_EVENT_DATA = "winlog.event_data."
# A few EventData names every Windows rule set looks for, also given their ECS names. The
# field names are spelled out once here, not joined for every record.
_ECS_FROM_EVENT_DATA = {
    _EVENT_DATA + name: target
    for name, target in {
        "CommandLine": "process.command_line",
        "Image": "process.executable",
        "NewProcessName": "process.executable",
        "ParentImage": "process.parent.executable",
        "TargetDomainName": "user.domain",
    }.items()
}
_USER_FIELDS = (_EVENT_DATA + "TargetUserName", _EVENT_DATA + "SubjectUserName")
_IP_ADDRESS = _EVENT_DATA + "IpAddress"
_IP_PORT = _EVENT_DATA + "IpPort"


def dataset_for(channel: str) -> str:
    lowered = channel.lower()
    known = _CHANNEL_DATASETS.get(lowered)
    if known is not None:
        return known
    return "windows." + (_NOT_ALNUM.sub("_", lowered) or "unknown")


def is_windows(record: dict[str, Any]) -> bool:
    """Whether a JSON object is a Windows event (used by ``auto``)."""
    winlog = record.get("winlog")
    if isinstance(winlog, dict):
        return "event_id" in winlog
    return "EventID" in record and ("Channel" in record or "SourceName" in record)


def _winlogbeat(
    record: dict[str, Any], winlog: dict[str, Any], escaped: bool, exact: bool
) -> tuple[Fields, Any]:
    event = record.get("event")
    event_id = winlog.get("event_id")
    if event_id is None and isinstance(event, dict):
        event_id = event.get("code")
    if event_id is None:
        raise ParseError("winlogbeat record without winlog.event_id")
    fields = flatten(record, escaped=escaped, exact=exact)
    user_data = winlog.get("user_data")
    if isinstance(user_data, dict):
        flatten(user_data, _EVENT_DATA, escaped, into=fields, exact=exact)
    return fields, event_id


def _nxlog(
    record: dict[str, Any], origin: Origin, escaped: bool, exact: bool
) -> tuple[Fields, Any]:
    system: dict[str, Any] = {}
    event_data: dict[str, Any] = {}
    for key, value in record.items():
        target = _NXLOG_SYSTEM.get(key)
        if target is None:
            event_data[key] = value
        else:
            system[target] = value
    fields = flatten(system, escaped=escaped, exact=exact)
    flatten(event_data, _EVENT_DATA, escaped, into=fields, exact=exact)
    when = any_time(record.get("EventTime"), zone_of(origin))
    if when is not None:
        fields["@timestamp"] = when
    elif "EventTime" in record:
        fields["event.timestamp_fallback"] = True
    return fields, record["EventID"]


def _user(fields: Fields) -> None:
    for name in _USER_FIELDS:
        value = fields.get(name)
        if isinstance(value, str) and value not in ("", "-"):
            fields["user.name"] = value
            return


def fields_from_record(
    record: dict[str, Any], origin: Origin, escaped: bool = True, exact: bool = True
) -> Fields:
    """``escaped``: whether the JSON text had ``\\u`` escapes; ``exact``: whether ``json``
    decoded it (see :func:`~ingest.parse.jsonlog.flatten`)."""
    winlog = record.get("winlog")
    if isinstance(winlog, dict):
        fields, event_id = _winlogbeat(record, winlog, escaped, exact)
        apply_timestamp(fields, record, origin)
    elif "EventID" in record:
        fields, event_id = _nxlog(record, origin, escaped, exact)
    else:
        raise ParseError("Windows event JSON without EventID (neither winlogbeat nor nxlog)")
    channel = fields.get("winlog.channel")
    channel = channel if isinstance(channel, str) and channel else ""
    fields["event.dataset"] = origin.dataset or (
        dataset_for(channel) if channel else "windows.unknown"
    )
    fields["event.module"] = "windows"
    fields["event.code"] = str(event_id)
    fields["winlog.event_id"] = str(event_id)
    for key in ("winlog.record_id", "winlog.keywords"):
        if key in fields:
            fields[key] = str(fields[key])
    computer = fields.get("winlog.computer_name")
    if isinstance(computer, str) and computer:
        fields["host.name"] = computer
    _user(fields)
    for name, target in _ECS_FROM_EVENT_DATA.items():
        value = fields.get(name)
        if isinstance(value, str):
            put_text(fields, target, value)
    address = fields.get(_IP_ADDRESS)
    if isinstance(address, str):
        put_address(fields, "source", address)
    port = fields.get(_IP_PORT)
    if isinstance(port, str) and port != "0":
        put_int(fields, "source.port", port)
    return fields


def parse_windows(text: str, origin: Origin) -> Fields:
    escaped = "\\u" in text
    return exactly(
        lambda exact: fields_from_record(load_object(text, exact), origin, escaped, exact)
    )
