"""Sysmon for Linux: Sysinternals' Sysmon writes one XML event per syslog message.

Through rsyslog/journald to ``/var/log/syslog`` (or forwarded as is) a line reads::

    Nov 24 09:59:47 web-01 sysmon: <Event><System><Provider Name="Linux-Sysmon" Guid="{...}"/>
      <EventID>1</EventID>...<TimeCreated SystemTime="2022-11-24T09:59:47.867270000Z"/>
      <Channel>Linux-Sysmon/Operational</Channel><Computer>web-01</Computer>...</System>
      <EventData><Data Name="Image">/usr/bin/wget</Data>...</EventData></Event>   (one line)

The event has the shape of a Windows one, so it is kept the way Windows events are:
``winlog.*`` for the System part, read by :mod:`.winlog_system` as for Windows
(``winlog.channel`` is ``Linux-Sysmon/Operational``, which no Windows rule names; ``Level``
is ``log.level``) and ``winlog.event_data.<Name>`` for every Data element, and the values
with an ECS home are copied there by :mod:`.windows_ecs` (``process.executable``,
``process.parent.command_line``, ``file.path``, ``destination.ip`` ...). Event 1 is a process
start, 3 a network connection, 11 a file created, 23 a file deleted, 5 a process end.

The XML is attacker-influenced (a command line is any text), so a record with a DTD or an
entity declaration (``<!``) is refused before it reaches the XML parser: nothing can expand.
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element, fromstring
from xml.etree.ElementTree import ParseError as XmlError

from canhgac.errors import ParseError
from ingest.parse.base import Fields, Origin
from ingest.parse.ecs import put_text
from ingest.parse.syslog import match_syslog
from ingest.parse.timestamps import iso8601, zone_of
from ingest.parse.windows_ecs import EVENT_DATA, add_ecs
from ingest.parse.winlog_system import rendered, system_fields

DATASET = "sysmon_linux.log"
PROVIDER = "Linux-Sysmon"
MAX_VALUE = 32_768  # characters of one Data value (a command line)
# "<" in the text (values escape theirs as &lt;): an event has about 100 tags.
MAX_TAGS = 1024
# SystemTime has nanoseconds; ECS dates keep microseconds.
_NANOSECONDS = re.compile(r"(\.\d{6})\d+")


def is_sysmon_linux(text: str) -> bool:
    """Whether a message is a Sysmon for Linux event (used by ``auto``)."""
    return text.startswith("<Event>") and PROVIDER in text[:200]


def _tree(xml: str) -> Element:
    if "<!" in xml:
        raise ParseError("Sysmon event XML with a DTD, entity or comment is refused")
    # Counted before parsing: a megabyte of nested tags would cost the XML parser seconds.
    if xml.count("<") > MAX_TAGS:
        raise ParseError(f"Sysmon event XML with more than {MAX_TAGS} tags is refused")
    try:
        root = fromstring(xml)
    except XmlError as exc:
        raise ParseError(f"Sysmon event is not well-formed XML: {exc}") from None
    if root.tag != "Event" or root.find("System") is None:
        raise ParseError("XML is not an <Event> with a <System> part")
    return root


def _system(root: Element, fields: Fields) -> str | None:
    """The System part as winlog.* fields; returns TimeCreated/@SystemTime."""
    system = root.find("System")
    assert system is not None  # checked by _tree
    fields.update(system_fields(rendered(system)))
    created = fields.pop("winlog.time_created", None)
    return created if isinstance(created, str) else None


def _event_data(root: Element, fields: Fields) -> None:
    data = root.find("EventData")
    if data is None:
        return
    for item in data.iter("Data"):
        name = item.get("Name")
        if name and name.isidentifier():
            fields[EVENT_DATA + name] = (item.text or "")[:MAX_VALUE]


def _linux_ecs(fields: Fields) -> None:
    """What a Linux event says that the Windows mapping does not take."""
    # One value as a scalar, as auditd writes it: the Linux log sources select on
    # event.category/event.type, and SQLite compares a JSON array as its text.
    for key in ("event.category", "event.type"):
        value = fields.get(key)
        if isinstance(value, list) and len(value) == 1:
            fields[key] = value[0]
    put_text(fields, "user.name", fields.get(EVENT_DATA + "User"))
    put_text(fields, "process.parent.user.name", fields.get(EVENT_DATA + "ParentUser"))
    # Sysmon for Linux has been seen writing "+/usr/lib/..." for a created file; a path it
    # reports is absolute, so the "+" is not part of it.
    path = fields.get("file.path")
    if isinstance(path, str) and path.startswith("+/"):
        fields["file.path"] = path[1:]
    for key, target in (("process.executable", "process.name"), ("file.path", "file.name")):
        value = fields.get(key)
        if isinstance(value, str) and "/" in value and value.rsplit("/", 1)[1]:
            fields[target] = value.rsplit("/", 1)[1]
    if fields.get("event.category") == "network":
        initiated = fields.get(EVENT_DATA + "Initiated")
        if initiated in ("true", "false"):
            fields["network.direction"] = "egress" if initiated == "true" else "ingress"


def enrich_sysmon_linux(fields: Fields, xml: str, origin: Origin) -> Fields:
    """Add a Sysmon for Linux event's fields to ``fields`` (a syslog record's, or empty)."""
    root = _tree(xml)
    # The syslog header's program is "sysmon" itself: the process is the one in the event.
    for key in ("process.name", "process.pid"):
        fields.pop(key, None)
    created = _system(root, fields)
    if fields.get("winlog.provider_name") != PROVIDER or "winlog.event_id" not in fields:
        raise ParseError("XML event is not from the Linux-Sysmon provider")
    _event_data(root, fields)
    when = iso8601(_NANOSECONDS.sub(r"\1", created), zone_of(origin)) if created else None
    if when is not None:
        fields["@timestamp"] = when
    elif "@timestamp" not in fields:
        fields["event.timestamp_fallback"] = True
    fields["event.dataset"] = origin.dataset or DATASET
    fields["event.module"] = "sysmon_linux"
    fields["event.code"] = fields["winlog.event_id"]
    fields["event.provider"] = PROVIDER
    computer = fields.get("winlog.computer_name")
    if isinstance(computer, str) and computer:
        fields["host.name"] = computer
    add_ecs(fields, fields.get("winlog.channel", ""), fields["event.code"])
    _linux_ecs(fields)
    return fields


def parse_sysmon_linux(text: str, origin: Origin) -> Fields:
    """The ``sysmon_linux`` parser: a syslog record carrying the XML, or the bare XML."""
    if text.startswith("<Event>"):
        return enrich_sysmon_linux({}, text, origin)
    fields = match_syslog(text, origin)
    if fields is None or not str(fields.get("message", "")).startswith("<Event>"):
        raise ParseError("not a Sysmon for Linux record: no <Event> XML in a syslog message")
    return enrich_sysmon_linux(fields, fields["message"], origin)
