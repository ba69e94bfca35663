"""Syslog headers: RFC 5424, RFC 3164 (BSD) and the auto-detecting ``syslog`` parser.

RFC 3164 is a description of practice more than a format, so the 3164 pattern accepts what
real senders emit: a missing PRI (lines from /var/log files), a missing hostname, an RFC 3339
timestamp (rsyslog's high-precision template) and IPv6 hostnames. A record needs at least a
PRI or a timestamp to count as syslog at all.

Other parsers build on :func:`match_syslog`: it returns the header fields with ``message`` set
to the content, which they then parse further (auth, CEF, FortiGate, auditd over syslog).
``message`` is the content without the blanks around it: rsyslog's RFC 5424 templates keep the
space that followed ``tag:`` (``... - -  Failed password ...``), relays pad frames, Windows
forwarders leave a CR. ``event.original`` keeps the record as received.
"""

from __future__ import annotations

import re

from canhgac.errors import ParseError
from ingest.parse.base import Fields, Origin
from ingest.parse.timestamps import bsd_of, iso8601, zone_of

DATASET = "syslog"

# Every quantifier below is followed by a character it cannot match, so a failed match never
# backtracks more than once over the line: matching stays linear for hostile megabyte lines.
_BSD_TIME = r"[A-Za-z]{3} {1,2}\d{1,2}(?: \d{4})? \d\d:\d\d:\d\d(?:\.\d{1,9})?"
_ISO_TIME = r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?"
_TAG = r"[^\s\[\]:]+(?:\[[^\[\]\s]*\])?:(?: |\Z)"
RFC3164_LINE = re.compile(
    r"(?:<(?P<pri>\d{1,3})>)?"
    rf"(?P<time>(?P<bsd>{_BSD_TIME})|(?P<iso>{_ISO_TIME}))? ?"
    # A hostname only follows a timestamp, and is never something shaped like a tag.
    rf"(?(time)(?:(?!{_TAG})(?P<host>\S+) )?)"
    r"(?:(?P<tag>[^\s\[\]:]+)(?:\[(?P<pid>[^\[\]\s]*)\])?:(?: |\Z))?"
    r"(?P<msg>.*)\Z",
    re.S,
)
RFC5424_LINE = re.compile(
    r"<(\d{1,3})>([1-9]\d{0,2}) (\S+) (\S+) (\S+) (\S+) (\S+)(?: (.*))?\Z",
    re.S,
)
_SD_VALUE = r'"([^"\\]*(?:\\.[^"\\]*)*)"'  # "unrolled loop": linear and fast
_SD_ELEMENT = re.compile(r'\[([^\s\]="]+)((?: +[^\s\]="]+=' + _SD_VALUE + r")*) *\]", re.S)
_SD_PARAM = re.compile(r'([^\s\]="]+)=' + _SD_VALUE, re.S)
_SD_ESCAPE = re.compile(r'\\(["\\\]])')
_NIL = "-"
_BLANKS = " \t\r\n"


# PRI text -> its three fields, for the 192 values written without leading zeros: one dict
# update per line instead of a conversion and three stores.
_PRIORITIES = {
    str(value): {
        "log.syslog.priority": value,
        "log.syslog.facility.code": value >> 3,
        "log.syslog.severity.code": value & 7,
    }
    for value in range(192)
}


def _priority(fields: Fields, pri: str) -> None:
    known = _PRIORITIES.get(pri)
    if known is None:
        value = int(pri)
        if value > 191:
            raise ParseError(f"syslog PRI {value} is out of range (0-191)")
        known = _PRIORITIES[str(value)]
    fields.update(known)


def _process(fields: Fields, app: str | None, pid: str | None) -> None:
    if app:
        fields["process.name"] = app
        fields["log.syslog.appname"] = app
    if pid:
        if pid.isdigit() and len(pid) < 19:
            fields["process.pid"] = int(pid)
        else:
            fields["log.syslog.procid"] = pid


def match_rfc3164(text: str, origin: Origin) -> Fields | None:
    """Header fields of a BSD syslog line, or None if it has neither PRI nor timestamp."""
    match = RFC3164_LINE.match(text)
    if match is None:
        return None
    pri, _, stamp, iso, host, tag, pid, message = match.groups()
    if pri is None and stamp is None and iso is None:
        return None
    fields: Fields = {"event.dataset": origin.dataset or DATASET, "event.module": "syslog"}
    if pri is not None:
        _priority(fields, pri)
    if stamp is not None or iso is not None:
        when = bsd_of(stamp, origin) if stamp else iso8601(iso, zone_of(origin))
        if when is None:
            fields["event.timestamp_fallback"] = True
        else:
            fields["@timestamp"] = when
    if host and host != _NIL:
        fields["host.name"] = host
    _process(fields, tag, pid)
    fields["message"] = message.strip(_BLANKS)
    return fields


def match_rfc5424(text: str, origin: Origin) -> Fields | None:
    """Header fields of an RFC 5424 record, None if it is not one at all.

    Raises ParseError when the header is there but broken (bad structured data, PRI).
    """
    match = RFC5424_LINE.match(text)
    if match is None:
        return None
    pri, version, stamp, host, app, procid, msgid, rest = match.groups()
    fields: Fields = {"event.dataset": origin.dataset or DATASET, "event.module": "syslog"}
    _priority(fields, pri)
    fields["log.syslog.version"] = version  # ECS: keyword
    if stamp != _NIL:
        when = iso8601(stamp, zone_of(origin))
        if when is None:
            fields["event.timestamp_fallback"] = True
        else:
            fields["@timestamp"] = when
    if host != _NIL:
        fields["host.name"] = host
    _process(fields, None if app == _NIL else app, None if procid == _NIL else procid)
    if msgid != _NIL:
        fields["log.syslog.msgid"] = msgid
    message = _structured_data(fields, rest or "")
    if message.startswith("\ufeff"):
        message = message[1:]
    fields["message"] = message.strip(_BLANKS)
    return fields


def _structured_data(fields: Fields, rest: str) -> str:
    """Store the SD elements as fields; return what follows them (the MSG)."""
    if rest == _NIL or rest.startswith("- "):
        return rest[2:]
    if not rest.startswith("["):
        raise ParseError("RFC 5424 record without structured data (neither '-' nor '[')")
    position = 0
    while element := _SD_ELEMENT.match(rest, position):
        prefix = "log.syslog.structured_data." + element.group(1) + "."
        for name, value in _SD_PARAM.findall(element.group(2)):
            if "\\" in value:
                value = _SD_ESCAPE.sub(r"\1", value)
            fields[prefix + name] = value
        position = element.end()
    if position == 0 or (position < len(rest) and rest[position] != " "):
        raise ParseError("RFC 5424 structured data is malformed")
    return rest[position + 1 :]


def match_syslog(text: str, origin: Origin) -> Fields | None:
    """RFC 5424 if the record says version 1, else RFC 3164; None if it is not syslog."""
    if text.startswith("<") and (fields := match_rfc5424(text, origin)) is not None:
        return fields
    return match_rfc3164(text, origin)


def parse_rfc3164(text: str, origin: Origin) -> Fields:
    fields = match_rfc3164(text, origin)
    if fields is None:
        raise ParseError("not an RFC 3164 syslog record: no <PRI> and no timestamp")
    return fields


def parse_rfc5424(text: str, origin: Origin) -> Fields:
    fields = match_rfc5424(text, origin)
    if fields is None:
        raise ParseError("not an RFC 5424 syslog record: expected '<PRI>1 TIMESTAMP HOST ...'")
    return fields


def parse_syslog(text: str, origin: Origin) -> Fields:
    fields = match_syslog(text, origin)
    if fields is None:
        raise ParseError("not a syslog record: no <PRI> and no timestamp")
    return fields
