"""NXLog's flat JSON of a Windows event (``im_msvistalog``): the System fields and the
EventData fields side by side at the top level.

Everything that is not a known NXLog System field becomes ``winlog.event_data.<Name>``; NXLog's
own fields (``EventReceivedTime``, ``SourceModuleName``, ...) go under ``hanoi.nxlog.*``. A name
in both parts keeps both meanings: the System one as ``winlog.*`` (``SourceName`` ->
``winlog.provider_name``), the EventData one as ``winlog.event_data.<Name>`` (Defender's
detection source), whether NXLog wrote the key twice or let EventData overwrite it.

A source sends records of a few shapes (one per event id, the same keys in the same order),
so what becomes of each key is worked out once per shape (:class:`_Plan`) and the fields of
a record are written in one pass over its values. Records with a duplicated or shadowed name
are split key by key (:func:`_nxlog_parts`); both ways write the same fields, in the order
:func:`~ingest.parse.jsonlog.flatten` writes the event's System part, NXLog's part, then
EventData.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any, NamedTuple

from canhgac.text import nfc
from ingest.parse.base import Fields, Origin
from ingest.parse.jsonlog import LONG, MIN_LONG, check_key_count, field_name, flatten, put_value
from ingest.parse.timestamps import any_time, zone_of
from ingest.parse.windows_ecs import EVENT_DATA

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


def _duplicated(record: dict[str, Any], text: str | None, texts: int | None = None) -> bool:
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
    if texts is None:  # the text values, unless the caller counted them
        texts = list(map(type, record.values())).count(str)
    if text.count('"') == 2 * (len(record) + texts):
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


def _nxlog_parts(record: dict[str, Any], duplicated_in: str | None) -> _NxlogParts:
    """The record's parts, from the pairs of its JSON text ``duplicated_in`` (a key written
    twice) if given, else from the record."""
    if duplicated_in is None:
        parts = _split(record.items())
    else:
        pairs = json.loads(duplicated_in, object_pairs_hook=_Pairs)
        parts = _split((key, _plain(value)) for key, value in pairs)
    system, event_data = parts.system, parts.event_data
    shadows = _EVENT_DATA_SHADOWS.get(str(record.get("Channel", "")).lower(), {})
    for key, expected in shadows.items():
        target = _NXLOG_SYSTEM[key]
        if key not in event_data and system.get(target, expected) != expected:
            event_data[key] = system[target]
            system[target] = expected
    return parts


def _fields_of_parts(parts: _NxlogParts, escaped: bool, exact: bool) -> Fields:
    fields = flatten(parts.system, escaped=escaped, exact=exact)
    flatten(parts.collector, escaped=escaped, into=fields, exact=exact)
    flatten(parts.event_data, EVENT_DATA, escaped, into=fields, exact=exact)
    return fields


class _Segment(NamedTuple):
    """The keys of one part of a record, in the order their fields are written."""

    keys: tuple[str, ...]  # keys left out (a name of dots only) are not here ...
    names: tuple[str, ...]  # ... so each has its field name ...
    counted: int  # ... but count towards the key limit, as flatten counts them


class _Plan(NamedTuple):
    """What becomes of the keys of records of one shape (their keys, in order)."""

    # The event's System part, NXLog's part, EventData: for any record of the shape.
    segments: tuple[_Segment, _Segment, _Segment]
    # For a record whose values are all written as they are (text, integers within a long):
    # the field names in the order of the segments (as a dict of nulls, copied for each record:
    # a copy costs a tenth of building the dict again), and the field name of each key in the
    # record's own order. Empty when a key is left out, or the record is large.
    template: Fields
    names: tuple[str, ...]


# Plans by escaped and record shape. Shapes are attacker-controlled: a plan is kept only for
# records of a usual size, and the store is emptied when it is full.
_PLANS: tuple[dict[tuple[str, ...], _Plan], dict[tuple[str, ...], _Plan]] = ({}, {})
_PLANS_KEPT = 256
_PLAN_KEYS = 128  # far below the key limit, which the one pass does not check


def _segment(keys: list[str], names: list[str]) -> _Segment:
    kept = [(key, name) for key, name in zip(keys, names, strict=True) if name]
    return _Segment(tuple(key for key, _ in kept), tuple(name for _, name in kept), len(keys))


def _new_plan(shape: tuple[str, ...], escaped: bool) -> _Plan:
    system = [key for key in shape if key in _NXLOG_WINLOG]
    collector = [key for key in shape if key in _NXLOG_COLLECTOR]
    event_data = [key for key in shape if key not in _NXLOG_SYSTEM]
    named = {key: field_name("", _NXLOG_SYSTEM[key], escaped) for key in system + collector}
    named |= {key: field_name(EVENT_DATA, key, escaped) for key in event_data}
    segments = (
        _segment(system, [named[key] for key in system]),
        _segment(collector, [named[key] for key in collector]),
        _segment(event_data, [named[key] for key in event_data]),
    )
    # The one pass needs a name for every key, and is for records too small to reach the key
    # limit (the segments count towards it).
    if not all(named.values()) or len(shape) > _PLAN_KEYS:
        return _Plan(segments, {}, ())
    template = dict.fromkeys(named[key] for key in system + collector + event_data)
    return _Plan(segments, template, tuple(named[key] for key in shape))


def _plan(record: dict[str, Any], escaped: bool) -> _Plan:
    plans = _PLANS[escaped]
    shape = tuple(record)
    plan = plans.get(shape)
    if plan is None:
        plan = _new_plan(shape, escaped)
        if len(shape) <= _PLAN_KEYS:
            if len(plans) >= _PLANS_KEPT:
                plans.clear()
            plans[shape] = plan
    return plan


def _plain_fields(record: dict[str, Any], plan: _Plan, escaped: bool) -> tuple[Fields, int] | None:
    """(fields, number of text values) of a record whose values are all written as they are,
    from one pass over its values in their own order: the fields are put in the plan's
    order first (its template of nulls), so each value lands in its place. None when a value
    needs more (null, an object...)."""
    if not plan.names:
        return None
    fields = plan.template.copy()
    texts = 0
    for name, value in zip(plan.names, record.values(), strict=True):
        kind = type(value)
        if kind is str:
            fields[name] = nfc(value) if escaped else value
            texts += 1
        elif kind is int and MIN_LONG <= value <= LONG:
            fields[name] = value
        else:
            return None
    return fields, texts


def _fields_by_segments(record: dict[str, Any], plan: _Plan, escaped: bool, exact: bool) -> Fields:
    fields: Fields = {}
    for segment in plan.segments:
        check_key_count(fields, segment.counted)
        for name, value in zip(segment.names, map(record.__getitem__, segment.keys), strict=True):
            put_value(fields, name, value, 1, escaped, exact)
    return fields


def _fields_by_plan(record: dict[str, Any], escaped: bool, exact: bool) -> Fields:
    """The fields :func:`_fields_of_parts` writes for a record without duplicated or
    shadowed names (each System name is then the key of one System value)."""
    plan = _plan(record, escaped)
    plain = _plain_fields(record, plan, escaped)
    return plain[0] if plain is not None else _fields_by_segments(record, plan, escaped, exact)


def _shadowed(record: dict[str, Any]) -> bool:
    return str(record.get("Channel", "")).lower() in _EVENT_DATA_SHADOWS


def nxlog_fields(
    record: dict[str, Any], origin: Origin, escaped: bool, exact: bool, text: str | None
) -> tuple[Fields, Any]:
    """(fields, event id) of an NXLog record; ``text``: its JSON text, to find duplicated
    keys (without it, the last of two equal keys is the one seen)."""
    plan = _plan(record, escaped)
    plain = None if _shadowed(record) else _plain_fields(record, plan, escaped)
    if plain is not None and not _duplicated(record, text, texts=plain[1]):
        fields = plain[0]  # the usual record
    elif _duplicated(record, text):  # rare: split key by key
        fields = _fields_of_parts(_nxlog_parts(record, text), escaped, exact)
    elif _shadowed(record):
        fields = _fields_of_parts(_nxlog_parts(record, None), escaped, exact)
    else:
        fields = _fields_by_segments(record, plan, escaped, exact)
    when = any_time(record.get("EventTime"), zone_of(origin))
    if when is not None:
        fields["@timestamp"] = when
    elif "EventTime" in record:
        fields["event.timestamp_fallback"] = True
    return fields, record["EventID"]
