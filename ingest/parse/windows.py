"""Windows event log records as JSON: winlogbeat 7/8/9, nxlog (``im_msvistalog``) flat JSON,
and Windows Event Forwarding XML rendered to JSON (:mod:`.windows_xml`).

winlogbeat nests the record under ``winlog`` (``winlog.event_data.TargetUserName``) and is
already ECS, so its document is flattened as is and completed. nxlog puts the system fields
and the EventData fields side by side at the top level; everything that is not a known nxlog
system field becomes ``winlog.event_data.<Name>``. A name in both parts keeps both meanings:
the System one as ``winlog.*`` (``SourceName`` -> ``winlog.provider_name``), the EventData
one as ``winlog.event_data.<Name>`` (Defender's detection source), whether nxlog wrote the
key twice or let EventData overwrite it. ECS fields and categorization: :mod:`.windows_ecs`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any, NamedTuple

from canhgac.errors import ParseError
from ingest.parse.base import Fields, Origin
from ingest.parse.jsonlog import apply_timestamp, exactly, flatten, load_object
from ingest.parse.timestamps import any_time, zone_of
from ingest.parse.windows_ecs import EVENT_DATA, add_ecs
from ingest.parse.windows_xml import is_rendered_xml, split_rendered_xml

_CHANNEL_DATASETS = {
    "security": "windows.security",
    "microsoft-windows-sysmon/operational": "windows.sysmon",
    "microsoft-windows-powershell/operational": "windows.powershell",
    "windows powershell": "windows.powershell",
    "system": "windows.system",
}
_NOT_ALNUM = re.compile(r"[^a-z0-9]")
# NXLog's System fields: the event's own, as Winlogbeat names them ...
_NXLOG_WINLOG = {
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
}
# ... and NXLog's own (EventReceivedTime, SourceModuleName, ...), under the custom namespace,
# written after the event's.
_NXLOG_COLLECTOR = {
    name: "hanoi.nxlog." + name
    for name in (
        "EventTime",
        "EventReceivedTime",
        "SourceModuleName",
        "SourceModuleType",
        "Severity",
        "SeverityValue",
        "OpcodeValue",
        "Task",
        "ExecutionProcessID",
    )
}
_NXLOG_SYSTEM = {**_NXLOG_WINLOG, **_NXLOG_COLLECTOR}
_SYSTEM_NAME = re.compile('"(' + "|".join(map(re.escape, _NXLOG_SYSTEM)) + ')"')
_EVENT_DATA = EVENT_DATA
# Channels whose EventData uses a System name for something else, with the System value
# the name has on that channel. NXLog's flat JSON has one key for both; when its value is not
# the System one, EventData overwrote it (Defender's SourceName is the detection source:
# "Real-Time Protection"), so it is EventData and the System value is the known one.
_EVENT_DATA_SHADOWS = {
    "microsoft-windows-windows defender/operational": {
        "SourceName": "Microsoft-Windows-Windows Defender"
    },
}


class _Pairs(list[tuple[str, Any]]):
    """A JSON object as its (key, value) pairs in order, duplicates kept."""


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
    if is_rendered_xml(record):
        return "EventID" in record["Event"]["System"]
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


def _duplicated(record: dict[str, Any], text: str | None) -> bool:
    """Whether a System name also occurs as an EventData key in the JSON text (json keeps
    only the last of duplicate keys): a name of the record quoted twice in the text.

    One scan for every System name at once, not one ``count`` per name: in JSON text that
    parsed, a quoted name ends at a closing quote, never where another quoted name starts,
    so the scan finds what counting each name finds."""
    if text is None:
        return False
    # Each string of the text is a key or a value of the record, unless a key was written
    # twice (or the record nests objects, or escapes quotes): when the quotes add up to the
    # record's keys and string values, no key was duplicated and the text need not be read.
    # (Counting the str values through map and list.count keeps the loop in C.)
    strings = len(record) + list(map(type, record.values())).count(str)
    if text.count('"') == 2 * strings:
        return False
    found = _SYSTEM_NAME.findall(text)
    if len(found) == len(set(found)):
        return False
    seen: set[str] = set()
    for name in found:
        if name in seen and name in record:
            return True
        seen.add(name)
    return False


def _plain(value: Any) -> Any:
    if isinstance(value, _Pairs):
        return {key: _plain(item) for key, item in value}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


class _NxlogParts(NamedTuple):
    system: dict[str, Any]  # the event's System values by winlog name
    collector: dict[str, Any]  # NXLog's own, by their hanoi.nxlog name
    event_data: dict[str, Any]  # by EventData name


def _split(pairs: Iterable[tuple[str, Any]]) -> _NxlogParts:
    """The first occurrence of a System name is the System field, a later one EventData
    (NXLog writes System fields first)."""
    parts = _NxlogParts({}, {}, {})
    system, collector, event_data = parts
    for key, value in pairs:
        target = _NXLOG_WINLOG.get(key)
        if target is not None and target not in system:
            system[target] = value
            continue
        target = _NXLOG_COLLECTOR.get(key)
        if target is not None and target not in collector:
            collector[target] = value
        else:
            event_data[key] = value
    return parts


def _nxlog_parts(record: dict[str, Any], text: str | None) -> _NxlogParts:
    parts = _split(record.items())
    if _duplicated(record, text):  # rare: read the pairs again, duplicates kept
        assert text is not None
        pairs = json.loads(text, object_pairs_hook=_Pairs)
        parts = _split((key, _plain(value)) for key, value in pairs)
    system, event_data = parts.system, parts.event_data
    shadows = _EVENT_DATA_SHADOWS.get(str(record.get("Channel", "")).lower(), {})
    for key, expected in shadows.items():
        target = _NXLOG_SYSTEM[key]
        if key not in event_data and system.get(target, expected) != expected:
            event_data[key] = system[target]
            system[target] = expected
    return parts


def _nxlog(
    record: dict[str, Any], origin: Origin, escaped: bool, exact: bool, text: str | None
) -> tuple[Fields, Any]:
    parts = _nxlog_parts(record, text)
    fields = flatten(parts.system, escaped=escaped, exact=exact)
    flatten(parts.collector, escaped=escaped, into=fields, exact=exact)
    flatten(parts.event_data, _EVENT_DATA, escaped, into=fields, exact=exact)
    when = any_time(record.get("EventTime"), zone_of(origin))
    if when is not None:
        fields["@timestamp"] = when
    elif "EventTime" in record:
        fields["event.timestamp_fallback"] = True
    return fields, record["EventID"]


def _wef(record: dict[str, Any], origin: Origin, escaped: bool, exact: bool) -> tuple[Fields, Any]:
    system, event_data, others = split_rendered_xml(record)
    fields = flatten(others, escaped=escaped, exact=exact)
    flatten(system, escaped=escaped, into=fields, exact=exact)
    flatten(event_data, _EVENT_DATA, escaped, into=fields, exact=exact)
    created = fields.pop("winlog.time_created", None)
    when = any_time(created, zone_of(origin)) if created is not None else None
    if when is not None:
        fields["@timestamp"] = when
    elif created is not None:
        fields["event.timestamp_fallback"] = True
    return fields, system.get("winlog.event_id")


def fields_from_record(
    record: dict[str, Any],
    origin: Origin,
    escaped: bool = True,
    exact: bool = True,
    text: str | None = None,
) -> Fields:
    """``escaped``: whether the JSON text had ``\\u`` escapes; ``exact``: whether ``json``
    decoded it (see :func:`~ingest.parse.jsonlog.flatten`); ``text``: the JSON text, to find
    NXLog's duplicate keys (without it, the last of two equal keys is the one seen)."""
    winlog = record.get("winlog")
    if isinstance(winlog, dict):
        fields, event_id = _winlogbeat(record, winlog, escaped, exact)
        apply_timestamp(fields, record, origin)
    elif is_rendered_xml(record):
        fields, event_id = _wef(record, origin, escaped, exact)
        if event_id is None:
            raise ParseError("rendered Windows event XML without System/EventID")
    elif "EventID" in record:
        fields, event_id = _nxlog(record, origin, escaped, exact, text)
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
    add_ecs(fields, channel, str(event_id))
    return fields


def parse_windows(text: str, origin: Origin) -> Fields:
    escaped = "\\u" in text
    return exactly(
        lambda exact: fields_from_record(load_object(text, exact), origin, escaped, exact, text)
    )
