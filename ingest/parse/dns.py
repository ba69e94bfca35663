"""DNS server query logs: BIND 9 (``querylog``) and dnsmasq (``log-queries``).

BIND, from a ``queries`` channel (file with ``print-time``, or syslog)::

    05-Mar-2024 14:02:11.482 queries: info: client @0x7f9b8c0a1b20 10.0.0.5#53211
        (example.com): query: example.com IN A +E(0)K (10.0.0.1)          (one line)

older BIND writes no ``@0x...`` and ``view <name>:`` may precede ``query:``. The flags are
``+``/``-`` (recursion desired), ``S`` signed, ``E(n)`` EDNS version, ``T`` TCP, ``D`` DNSSEC
OK, ``C`` checking disabled, ``V``/``K`` cookies. dnsmasq writes through syslog (or its own
``log-facility`` file in the same shape)::

    Mar  5 14:02:11 dnsmasq[1234]: query[A] example.com from 10.0.0.5
    Mar  5 14:02:11 dnsmasq[1234]: forwarded example.com to 8.8.8.8
    Mar  5 14:02:11 dnsmasq[1234]: reply example.com is 93.184.216.34

with ``log-queries=extra`` a serial and the client's address/port come first
(``12 10.0.0.5/53211 query[A] ...``). Server-specific values go under ``hanoi.<server>.*``.
"""

from __future__ import annotations

import re
from datetime import datetime

from canhgac.errors import ParseError
from ingest.parse.base import Fields, Origin
from ingest.parse.ecs import integer, is_ip, put_address
from ingest.parse.syslog import match_syslog
from ingest.parse.timestamps import local, zone_of

BIND_DATASET = "bind.query"
DNSMASQ_DATASET = "dnsmasq.log"
# A DNS name is at most 253 characters; a longer "name" is still kept, but cut, so one hostile
# line cannot make a megabyte keyword.
MAX_NAME = 1024

_BIND_TIME = re.compile(r"(\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d(?:\.\d{1,6})?) ")
_BIND_QUERY = re.compile(
    r"client (?:@0x[0-9a-fA-F]{1,16} )?([0-9A-Fa-f.:%]{1,64})#(\d{1,5})(?: \(([^)]{0,1024})\))?: "
    r"(?:view ([^:]{1,256}): )?query: (\S{1,1024}) ([A-Z0-9]{1,16}) ([A-Z0-9]{1,16}) "
    r"([-+][A-Z()0-9]{0,32})(?: \(([0-9A-Fa-f.:%]{1,64})\))?"
)
_DNSMASQ_EXTRA = re.compile(r"(\d{1,12}) ([0-9A-Fa-f.:%]{1,64})/(\d{1,5}) ")
_DNSMASQ_QUERY = re.compile(r"query\[([A-Za-z0-9]{1,16})\] (\S{1,1024}) from (\S{1,64})\Z")
_DNSMASQ_FORWARDED = re.compile(r"forwarded (\S{1,1024}) to (\S{1,64})\Z")
# reply/cached/config/<hosts file> <name> is <answer>
_DNSMASQ_ANSWER = re.compile(r"(reply|cached|config|/\S{1,256}) (\S{1,1024}) is (\S{1,1024})\Z")
# Answers dnsmasq writes in place of data.
_DNSMASQ_CODES = {"NXDOMAIN": "NXDOMAIN", "NODATA": "NOERROR", "SERVFAIL": "SERVFAIL",
                  "REFUSED": "REFUSED"}  # fmt: skip


def put_question(fields: Fields, name: str, qtype: str | None) -> None:
    """dns.question.* of one question; the name without its trailing root dot."""
    name = name[:MAX_NAME]
    fields["dns.question.name"] = name.rstrip(".") or "."
    if qtype:
        fields["dns.question.type"] = qtype.upper()


def put_port(fields: Fields, key: str, text: str) -> None:
    number = integer(text)
    if number is not None and number < 65536:
        fields[key] = number


def _base(fields: Fields, origin: Origin, dataset: str) -> Fields:
    fields["event.dataset"] = origin.dataset or dataset
    fields["event.module"] = dataset.partition(".")[0]
    fields["event.kind"] = "event"
    fields["event.category"] = ["network"]
    fields["event.type"] = ["protocol"]
    fields["network.protocol"] = "dns"
    return fields


def _bind_time(text: str, origin: Origin) -> tuple[str | None, str]:
    """BIND's own ``print-time`` stamp (local time), and the text after it."""
    match = _BIND_TIME.match(text)
    if match is None:
        return None, text
    stamp = match.group(1)
    try:
        moment = datetime.strptime(stamp, "%d-%b-%Y %H:%M:%S.%f" if "." in stamp else
                                   "%d-%b-%Y %H:%M:%S")  # fmt: skip
    except ValueError:
        return None, text[match.end() :]
    return local(moment, zone_of(origin)), text[match.end() :]


def parse_bind(text: str, origin: Origin) -> Fields:
    when, rest = _bind_time(text, origin)
    fields: Fields = {}
    if when is None and (header := match_syslog(text, origin)) is not None:
        fields, rest = header, str(header.get("message", ""))
    match = _BIND_QUERY.search(rest, 0, 4096)  # the query sits near the start of the line
    if match is None:
        raise ParseError("not a BIND query log line ('client ... query: NAME CLASS TYPE FLAGS')")
    client, port, _, view, name, qclass, qtype, flags, server = match.groups()
    _base(fields, origin, BIND_DATASET)
    if when is not None:
        fields["@timestamp"] = when
    fields["dns.type"] = "query"
    put_question(fields, name, qtype)
    fields["dns.question.class"] = qclass
    put_address(fields, "source", client.partition("%")[0])
    put_port(fields, "source.port", port)
    if server:
        put_address(fields, "destination", server.partition("%")[0])
    fields["network.transport"] = "tcp" if "T" in flags else "udp"
    fields["hanoi.bind.flags"] = flags
    fields["hanoi.bind.recursion_desired"] = flags.startswith("+")
    if view:
        fields["hanoi.bind.view"] = view
    fields["event.action"] = "dns-query"
    return fields


def _dnsmasq_answer(fields: Fields, source: str, name: str, answer: str) -> None:
    fields["dns.type"] = "answer"
    fields["event.action"] = "dns-" + ("answer" if source.startswith("/") else source)
    fields["hanoi.dnsmasq.answer_source"] = source
    put_question(fields, name, None)
    code = _DNSMASQ_CODES.get(answer.partition("-")[0])
    if code is not None:
        fields["dns.response_code"] = code
        if code != "NOERROR":
            fields["event.outcome"] = "failure"
        return
    fields["dns.response_code"] = "NOERROR"
    # One answer per line: a scalar, so a rule's exact match works on every store (SQLite
    # compares a JSON array as its text).
    fields["dns.answers.data"] = answer[:MAX_NAME]
    if is_ip(answer):
        fields["dns.resolved_ip"] = answer


def _dnsmasq_message(fields: Fields, message: str) -> None:
    if extra := _DNSMASQ_EXTRA.match(message):
        serial, client, port = extra.groups()
        fields["hanoi.dnsmasq.query_serial"] = integer(serial)
        put_address(fields, "source", client)
        put_port(fields, "source.port", port)
        message = message[extra.end() :]
    if query := _DNSMASQ_QUERY.match(message):
        qtype, name, client = query.groups()
        fields["dns.type"] = "query"
        fields["event.action"] = "dns-query"
        put_question(fields, name, qtype)
        put_address(fields, "source", client)
    elif forwarded := _DNSMASQ_FORWARDED.match(message):
        name, upstream = forwarded.groups()
        fields["dns.type"] = "query"
        fields["event.action"] = "dns-forwarded"
        put_question(fields, name, None)
        put_address(fields, "destination", upstream)
    elif answer := _DNSMASQ_ANSWER.match(message):
        _dnsmasq_answer(fields, *answer.groups())
    else:  # startup, DHCP, cache statistics: kept as a plain dnsmasq event
        fields["event.type"] = ["info"]


def parse_dnsmasq(text: str, origin: Origin) -> Fields:
    header = match_syslog(text, origin)
    if header is None or str(header.get("process.name", "")).partition("-")[0] != "dnsmasq":
        raise ParseError("not a dnsmasq log line ('<time> [host] dnsmasq[pid]: ...')")
    fields = _base(header, origin, DNSMASQ_DATASET)
    _dnsmasq_message(fields, str(header.get("message", "")))
    return fields
