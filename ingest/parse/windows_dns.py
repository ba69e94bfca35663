"""The Windows DNS Server debug log (``dns.log``, "Log packets for debugging" in DNS Manager).

One line per packet the server receives or sends::

    6/5/2013 10:00:32 AM 0E70 PACKET  00000000033397A0 UDP Rcv 10.161.60.71    5b47   Q
        [0001   D   NOERROR] A      (12)somecomputer(6)domain(3)com(0)          (one line)

date and time (the server's locale: ``M/D/YYYY h:mm:ss AM`` in English, ``DD/MM/YYYY
HH:mm:ss`` in Vietnamese and most others, ``YYYY/M/D`` in some), thread, ``PACKET``, the
packet's memory address, UDP/TCP, ``Snd``/``Rcv``, the remote address, the transaction id,
``R`` for a response (blank for a query), the opcode (``Q`` query, ``N`` notify, ``U`` update,
``?``), then ``[flags-hex flag-letters response-code]``, the question type and the name in
wire form (``(7)example(3)com(0)``). A query received from a client has the client as
source; a response sent goes to it as destination. The remote address is the client's or the
upstream server's: the server itself is the host. The file's header (the field legend written
at every rollover) and non-packet lines are kept as plain events.

A date written without AM/PM is read day first (``05/03/2019`` is 5 March) unless its second
number cannot be a month; the time is the server's local time (the source's ``timezone``).
"""

from __future__ import annotations

import re
from datetime import datetime

from ingest.parse.base import Fields, Origin
from ingest.parse.dns import put_question
from ingest.parse.ecs import put_address
from ingest.parse.syslog import match_syslog
from ingest.parse.timestamps import local, zone_of

DATASET = "windows_dns.debug"
_CUSTOM = "hanoi.windows_dns."
_PACKET = re.compile(
    r"(?P<date>\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}) (?P<time>\d{1,2}:\d\d:\d\d)"
    r"(?: (?P<half>AM|PM|SA|CH))? (?P<thread>[0-9A-Fa-f]{1,8}) PACKET +"
    r"(?P<packet>[0-9A-Fa-f]{1,16}) (?P<proto>UDP|TCP) +(?P<dir>Snd|Rcv) "
    r"(?P<remote>[0-9A-Fa-f.:]{2,64}) +(?P<xid>[0-9A-Fa-f]{1,4}) +(?:(?P<response>R) +)?"
    r"(?P<opcode>[QNU?]) +\[(?P<flags>[0-9A-Fa-f]{4}) +(?:(?P<letters>[ATDR]{1,4}) +)?"
    r"(?P<rcode>[A-Z]{1,16})\] +(?P<qtype>[A-Z0-9]{1,16}) +(?P<qname>\S{1,1024})"
)
_OPCODES = {"Q": "QUERY", "N": "NOTIFY", "U": "UPDATE", "?": "UNKNOWN"}
_FLAGS = {"A": "AA", "T": "TC", "D": "RD", "R": "RA"}
_LABEL_LENGTH = re.compile(r"\(\d{1,3}\)")
_PM = ("PM", "CH")  # "chiều": the Vietnamese PM designator


def _moment(date: str, time: str, half: str | None) -> datetime | None:
    texts = re.split(r"[/.-]", date)
    parts = [int(part) for part in texts]
    if len(texts[0]) == 4:
        year, month, day = parts
    elif half is not None or parts[1] > 12:
        month, day, year = parts
    else:
        day, month, year = parts
    hour, minute, second = (int(part) for part in time.split(":"))
    if half is not None:
        hour = hour % 12 + (12 if half in _PM else 0)
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


def _name(wire: str) -> str:
    """``(7)example(3)com(0)`` (or ``.example.com.``) as ``example.com``."""
    return _LABEL_LENGTH.sub(".", wire).strip(".") or "."


def _packet(fields: Fields, match: re.Match[str], origin: Origin) -> None:
    moment = _moment(match["date"], match["time"], match["half"])
    when = local(moment, zone_of(origin)) if moment is not None else None
    if when is not None:
        fields["@timestamp"] = when
    elif "@timestamp" not in fields:
        fields["event.timestamp_fallback"] = True
    response = match["response"] is not None
    received = match["dir"] == "Rcv"
    # A query received or a response sent: the remote end is a client of this server.
    client_side = received != response
    put_address(fields, "source" if received else "destination", match["remote"])
    fields["dns.type"] = "answer" if response else "query"
    fields["dns.id"] = match["xid"].lower()
    fields["dns.op_code"] = _OPCODES[match["opcode"]]
    if match["letters"]:
        fields["dns.header_flags"] = [_FLAGS[letter] for letter in match["letters"]]
    put_question(fields, _name(match["qname"]), match["qtype"])
    if response:
        fields["dns.response_code"] = match["rcode"]
        if match["rcode"] != "NOERROR":
            fields["event.outcome"] = "failure"
    fields["network.transport"] = match["proto"].lower()
    fields["network.direction"] = "ingress" if received else "egress"
    fields["event.action"] = ("dns-answer" if response else "dns-query") + (
        "" if client_side else "-upstream"
    )
    fields[_CUSTOM + "thread_id"] = match["thread"]
    fields[_CUSTOM + "packet_id"] = match["packet"]
    fields[_CUSTOM + "flags"] = match["flags"]
    fields[_CUSTOM + "client_side"] = client_side


def parse_windows_dns(text: str, origin: Origin) -> Fields:
    """The ``windows_dns`` parser: a debug log line as written, or inside a syslog record
    (NXLog's ``to_syslog_bsd()``)."""
    fields: Fields = {}
    match = _PACKET.match(text)
    if match is None and (header := match_syslog(text, origin)) is not None:
        fields = header
        match = _PACKET.match(str(header.get("message", "")))
    fields["event.dataset"] = origin.dataset or DATASET
    fields["event.module"] = "windows_dns"
    fields["event.kind"] = "event"
    fields["event.category"] = ["network"]
    fields["network.protocol"] = "dns"
    if match is None:  # the header legend, a blank or a non-packet debug line
        fields["event.type"] = ["info"]
        fields.setdefault("message", text)
        if "@timestamp" not in fields:
            fields["event.timestamp_fallback"] = True
        return fields
    fields["event.type"] = ["protocol"]
    _packet(fields, match, origin)
    return fields
