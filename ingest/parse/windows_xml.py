"""Windows events forwarded with Windows Event Forwarding and rendered from their XML to JSON
(the common ``xmltodict`` convention: attributes as ``@Name``, element text as ``#text``)::

    {"Event": {"System": {"Provider": {"@Name": "...", "@Guid": "..."},
                          "EventID": "4624", "Channel": "Security", "Computer": "dc01",
                          "TimeCreated": {"@SystemTime": "2024-03-05T07:02:11.4821Z"},
                          "EventRecordID": "5512345", ...},
               "EventData": {"Data": [{"@Name": "TargetUserName", "#text": "an"}, ...]},
               "UserData": {"LogFileCleared": {"SubjectUserName": "an", ...}}}}

The System part becomes ``winlog.*`` exactly as winlogbeat names it (:mod:`.winlog_system`);
named Data items and UserData values become ``winlog.event_data.<Name>``, so both meanings of a
name used in both parts (``SourceName``) survive.
"""

from __future__ import annotations

from typing import Any

from ingest.parse.base import Fields
from ingest.parse.winlog_system import system_fields

_TEXT = "#text"


def is_rendered_xml(record: dict[str, Any]) -> bool:
    event = record.get("Event")
    return isinstance(event, dict) and isinstance(event.get("System"), dict)


def _text(value: Any) -> Any:
    """An element's value: its text, or the value itself when it has no attributes."""
    if isinstance(value, dict):
        return value.get(_TEXT)
    return value


def _data_items(event_data: Any) -> dict[str, Any]:
    """``<Data Name="X">v</Data>`` items by name; unnamed items as Data, Data_1, ..."""
    if not isinstance(event_data, dict):
        return {}
    items = event_data.get("Data")
    if items is None:
        return {key: _text(value) for key, value in event_data.items() if not key.startswith("@")}
    if not isinstance(items, list):
        items = [items]
    out: dict[str, Any] = {}
    for index, item in enumerate(items):
        if isinstance(item, dict) and isinstance(item.get("@Name"), str):
            out[item["@Name"]] = item.get(_TEXT)
        else:
            out["Data" if index == 0 else f"Data_{index}"] = _text(item)
    return out


def _user_data(user_data: Any) -> dict[str, Any]:
    """UserData holds one element named after the event (``LogFileCleared``): its children."""
    if not isinstance(user_data, dict):
        return {}
    out: dict[str, Any] = {}
    for value in user_data.values():
        if isinstance(value, dict):
            out.update({key: _text(item) for key, item in value.items() if not key.startswith("@")})
    return out


def split_rendered_xml(record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], Fields]:
    """(system fields by winlog name, event data by name, other top-level fields)."""
    event: dict[str, Any] = record["Event"]
    system = system_fields(event["System"])
    data = _data_items(event.get("EventData"))
    data.update(_user_data(event.get("UserData")))
    rendering = event.get("RenderingInfo")
    if isinstance(rendering, dict) and isinstance(rendering.get("Message"), str):
        system["message"] = rendering["Message"]
    others = {key: value for key, value in record.items() if key != "Event"}
    return system, data, others
