"""The ``<System>`` block of a Windows event's XML as ``winlog.*`` fields, named as Elastic's
Winlogbeat names them, for every reader of that XML: Windows Event Forwarding rendered to JSON
(:mod:`.windows_xml`) and Sysmon for Linux's raw XML (:mod:`.sysmon_linux`).

The block comes in the ``xmltodict`` convention (attributes as ``@Name``, element text as
``#text``, an element without attributes as its text); :func:`rendered` turns a parsed
``Element`` into that shape, so both readers share one table.

``Level`` is ``log.level``: ECS's "original log level of the log event", where Winlogbeat puts
it too (its ``winlog.level`` is renamed to ``log.level`` before the event leaves the agent).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from xml.etree.ElementTree import Element

from ingest.parse.ecs import integer

_TEXT = "#text"
# Characters kept of one System value: they are ids, names and numbers, and the event is
# attacker-influenced.
MAX_SYSTEM_VALUE = 256
# System elements whose text is the value: tag -> field.
_SYSTEM_TEXT = {
    "EventID": "winlog.event_id",
    "Channel": "winlog.channel",
    "Computer": "winlog.computer_name",
    "EventRecordID": "winlog.record_id",
    "Task": "winlog.task",
    "Opcode": "winlog.opcode",
    "Keywords": "winlog.keywords",
    "Version": "winlog.version",
    "Level": "log.level",
}
# System elements whose attributes are the values: (tag, attribute) -> field. Windows writes
# ``Security/@UserID``, Sysmon for Linux ``Security/@UserId``.
_SYSTEM_ATTRIBUTES = {
    ("Provider", "@Name"): "winlog.provider_name",
    ("Provider", "@Guid"): "winlog.provider_guid",
    ("Execution", "@ProcessID"): "winlog.process.pid",
    ("Execution", "@ThreadID"): "winlog.process.thread.id",
    ("Security", "@UserID"): "winlog.user.identifier",
    ("Security", "@UserId"): "winlog.user.identifier",
    ("Correlation", "@ActivityID"): "winlog.activity_id",
    ("TimeCreated", "@SystemTime"): "winlog.time_created",
}
# Winlogbeat types these as long.
_NUMBERS = ("winlog.process.pid", "winlog.process.thread.id")


def _text(value: Any) -> Any:
    """An element's value: its text, or the value itself when it has no attributes."""
    if isinstance(value, Mapping):
        return value.get(_TEXT)
    return value


def _number(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return integer(value) if isinstance(value, str) else None


def _bounded(value: Any) -> Any:
    return value.strip()[:MAX_SYSTEM_VALUE] if isinstance(value, str) else value


def rendered(system: Element) -> dict[str, Any]:
    """A parsed ``<System>`` element in the ``xmltodict`` shape :func:`system_fields` reads."""
    out: dict[str, Any] = {}
    for child in system:
        if child.attrib:
            part: dict[str, Any] = {"@" + name: value for name, value in child.attrib.items()}
            if child.text:
                part[_TEXT] = child.text
            out[child.tag] = part
        elif child.text:
            out[child.tag] = child.text
    return out


def system_fields(system: Mapping[str, Any]) -> dict[str, Any]:
    """The System block as fields by their Winlogbeat/ECS name (``winlog.time_created`` is
    the raw ``SystemTime``: the caller makes it ``@timestamp``)."""
    out: dict[str, Any] = {}
    for name, target in _SYSTEM_TEXT.items():
        value = _bounded(_text(system.get(name)))
        if value not in (None, ""):
            out[target] = value
    for (element, attribute), target in _SYSTEM_ATTRIBUTES.items():
        part = system.get(element)
        value = _bounded(part.get(attribute)) if isinstance(part, Mapping) else None
        if value not in (None, ""):
            out[target] = value
    for key in _NUMBERS:
        if key in out:
            number = _number(out.pop(key))
            if number is not None:
                out[key] = number
    return out
