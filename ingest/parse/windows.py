"""Windows event log records as JSON: winlogbeat 7/8/9, nxlog (``im_msvistalog``) flat JSON,
and Windows Event Forwarding XML rendered to JSON (:mod:`.windows_xml`).

winlogbeat nests the record under ``winlog`` (``winlog.event_data.TargetUserName``) and is
already ECS, so its document is flattened as is and completed. nxlog's flat JSON:
:mod:`.windows_nxlog`. ECS fields and categorization: :mod:`.windows_ecs`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from canhgac.errors import ParseError
from ingest.parse.base import Fields, Origin
from ingest.parse.jsonlog import apply_timestamp, exactly, flatten, has_escapes, load_object
from ingest.parse.timestamps import any_time, zone_of
from ingest.parse.windows_ecs import EVENT_DATA, add_ecs
from ingest.parse.windows_nxlog import nxlog_fields
from ingest.parse.windows_xml import is_rendered_xml, split_rendered_xml

_CHANNEL_DATASETS = {
    "security": "windows.security",
    "microsoft-windows-sysmon/operational": "windows.sysmon",
    "microsoft-windows-powershell/operational": "windows.powershell",
    "windows powershell": "windows.powershell",
    "system": "windows.system",
}
_NOT_ALNUM = re.compile(r"[^a-z0-9]")
_EVENT_DATA = EVENT_DATA


@lru_cache(maxsize=256)  # a source's events come from a few channels
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
        fields, event_id = nxlog_fields(record, origin, escaped, exact, text)
    else:
        raise ParseError("Windows event JSON without EventID (neither winlogbeat nor nxlog)")
    channel = fields.get("winlog.channel")
    channel = channel if isinstance(channel, str) and channel else ""
    fields["event.dataset"] = origin.dataset or (
        dataset_for(channel) if channel else "windows.unknown"
    )
    fields["event.module"] = "windows"
    code = fields["event.code"] = fields["winlog.event_id"] = str(event_id)
    for key in ("winlog.record_id", "winlog.keywords"):
        if key in fields:
            fields[key] = str(fields[key])
    computer = fields.get("winlog.computer_name")
    if isinstance(computer, str) and computer:
        fields["host.name"] = computer
    add_ecs(fields, channel, code)
    return fields


def parse_windows(text: str, origin: Origin) -> Fields:
    escaped = has_escapes(text)
    return exactly(
        lambda exact: fields_from_record(load_object(text, exact), origin, escaped, exact, text)
    )
