"""Cisco ASA (and Firepower Threat Defense) syslog messages.

``<166>Mar 05 2024 14:02:11 asa-hn-01 : %ASA-6-302013: Built outbound TCP connection 123 for
outside:203.0.113.10/443 (203.0.113.10/443) to inside:10.20.3.41/51234 (198.51.100.2/51234)``

The header varies with ``logging timestamp``/``logging device-id`` (none, RFC 3164 time, time
with the year, RFC 5424 time); the message starts at ``%ASA-<severity>-<id>:``. The connection
and access messages a SOC needs (302013-302016, 106001, 106006/106007/106015, 106023, 106100,
605004/605005, 113004/113005, 111008) fill ECS fields; every other message is kept with its id
and severity, and any ``from <ip>/<port> to <ip>/<port>`` it has.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from canhgac.errors import ParseError
from ingest.parse.base import Fields, Origin
from ingest.parse.ecs import integer, put_address, put_text, transport
from ingest.parse.syslog import match_syslog
from ingest.parse.timestamps import local, zone_of

DATASET = "cisco.asa"
_PREFIX = "hanoi.cisco_asa."
_TAG = re.compile(r"%(ASA|FTD)-([0-7])-(\d{6}): ?")
_HEAD_SEARCH = 256  # the tag sits behind a header of at most this many characters
_YEAR_TIME = re.compile(r"(?:<\d{1,3}>)?([A-Z][a-z]{2} +\d{1,2} \d{4} \d\d:\d\d:\d\d)")
_END = r"(?:[ (]|\Z)"
_ENDPOINT = r"(\S{1,64}?):([0-9A-Fa-f.:]{2,45})/(\d{1,5})"
_PATTERNS: dict[str, re.Pattern[str]] = {
    "built": re.compile(
        rf"Built (inbound|outbound) (\w{{1,16}}) connection (\d{{1,20}}) for {_ENDPOINT}"
        rf" \([^)]{{0,80}}\)(?:\([^)]{{0,80}}\))? to {_ENDPOINT}{_END}"
    ),
    "teardown": re.compile(
        rf"Teardown (\w{{1,16}}) connection (\d{{1,20}}) for {_ENDPOINT} to {_ENDPOINT}"
        r"(?: duration (\d{1,6}:\d\d:\d\d))?(?: bytes (\d{1,20}))?"
    ),
    "deny_acl": re.compile(
        rf"Deny (\w{{1,16}}) src {_ENDPOINT} dst {_ENDPOINT}.{{0,80}}? by access-group"
        r' "([^"]{1,128})"'
    ),
    "access_list": re.compile(
        r"access-list (\S{1,128}) (permitted|denied|est-allowed) (\w{1,16}) (\S{1,64}?)/"
        r"([0-9A-Fa-f.:]{2,45})\((\d{1,5})\)(?:\([^)]{0,80}\))? -> (\S{1,64}?)/"
        r"([0-9A-Fa-f.:]{2,45})\((\d{1,5})\)"
    ),
    "login": re.compile(
        r"Login (permitted|denied) from ([0-9A-Fa-f.:]{2,45})/(\d{1,5}) to (\S{1,64}?):"
        r'([0-9A-Fa-f.:]{2,45})/(\S{1,32}) for user "([^"]{0,256})"'
    ),
    "aaa": re.compile(
        r"AAA user authentication (Successful|Rejected).{0,256}? user = ([^:]{1,256}?) :"
        r" user IP = ([0-9A-Fa-f.:]{2,45})"
    ),
    "command": re.compile(r"User '([^']{1,256})' executed the '(.{1,4096})' command"),
}
_PROTOCOL = re.compile(r"\b(TCP|UDP|ICMP|tcp|udp|icmp)\b")
_FROM_TO = re.compile(
    r"from (?:(\S{1,64}?):)?([0-9A-Fa-f.:]{2,45})/(\d{1,5}) to "
    r"(?:(\S{1,64}?):)?([0-9A-Fa-f.:]{2,45})/(\d{1,5})(?:.{0,80}? on interface (\S{1,64}))?"
)


def _endpoint(fields: Fields, side: str, ip: str, port: str) -> None:
    put_address(fields, side, ip)
    if (number := integer(port)) is not None and number < 65536:
        fields[side + ".port"] = number


def _interfaces(fields: Fields, ingress: str | None, egress: str | None) -> None:
    put_text(fields, "observer.ingress.interface.name", ingress)
    put_text(fields, "observer.egress.interface.name", egress)


def _outcome(fields: Fields, action: str, allowed: bool) -> None:
    fields["event.action"] = action
    fields["event.outcome"] = "success" if allowed else "failure"
    fields["event.type"] = ["connection", "allowed" if allowed else "denied"]


def _built(fields: Fields, m: re.Match[str]) -> None:
    direction, proto, conn, if1, ip1, p1, if2, ip2, p2 = m.groups()
    fields["network.transport"] = transport(proto)
    fields["network.direction"] = "inbound" if direction == "inbound" else "outbound"
    fields[_PREFIX + "connection_id"] = conn
    # "for A to B": A is the initiator of an inbound connection, the responder of an outbound.
    src, dst = ((if1, ip1, p1), (if2, ip2, p2)) if direction == "inbound" else (
        (if2, ip2, p2), (if1, ip1, p1))  # fmt: skip
    _endpoint(fields, "source", src[1], src[2])
    _endpoint(fields, "destination", dst[1], dst[2])
    _interfaces(fields, src[0], dst[0])
    _outcome(fields, "built", True)
    fields["event.type"] = ["connection", "start", "allowed"]


def _teardown(fields: Fields, m: re.Match[str]) -> None:
    proto, conn, if1, ip1, p1, if2, ip2, p2, duration, size = m.groups()
    fields["network.transport"] = transport(proto)
    fields[_PREFIX + "connection_id"] = conn
    _endpoint(fields, "source", ip1, p1)
    _endpoint(fields, "destination", ip2, p2)
    _interfaces(fields, if1, if2)
    _outcome(fields, "teardown", True)
    fields["event.type"] = ["connection", "end"]
    if duration:
        hours, minutes, seconds = (int(part) for part in duration.split(":"))
        fields["event.duration"] = (hours * 3600 + minutes * 60 + seconds) * 1_000_000_000
    put_int(fields, "network.bytes", size)


def put_int(fields: Fields, key: str, text: str | None) -> None:
    if (number := integer(text)) is not None:
        fields[key] = number


def _deny_acl(fields: Fields, m: re.Match[str]) -> None:
    proto, if1, ip1, p1, if2, ip2, p2, acl = m.groups()
    fields["network.transport"] = transport(proto)
    _endpoint(fields, "source", ip1, p1)
    _endpoint(fields, "destination", ip2, p2)
    _interfaces(fields, if1, if2)
    fields["rule.name"] = acl
    _outcome(fields, "deny", False)


def _access_list(fields: Fields, m: re.Match[str]) -> None:
    acl, verdict, proto, if1, ip1, p1, if2, ip2, p2 = m.groups()
    fields["network.transport"] = transport(proto)
    _endpoint(fields, "source", ip1, p1)
    _endpoint(fields, "destination", ip2, p2)
    _interfaces(fields, if1, if2)
    fields["rule.name"] = acl
    _outcome(fields, "deny" if verdict == "denied" else "permit", verdict != "denied")


def _login(fields: Fields, m: re.Match[str]) -> None:
    verdict, ip, port, interface, ip2, service, user = m.groups()
    _endpoint(fields, "source", ip, port)
    put_address(fields, "destination", ip2)
    fields["observer.ingress.interface.name"] = interface
    fields[_PREFIX + "service"] = service
    put_text(fields, "user.name", user)
    fields["event.category"] = ["authentication", "network"]
    _outcome(fields, "login", verdict == "permitted")
    fields["event.type"] = ["start" if verdict == "permitted" else "info"]


def _aaa(fields: Fields, m: re.Match[str]) -> None:
    verdict, user, ip = m.groups()
    put_text(fields, "user.name", user.strip())
    put_address(fields, "source", ip)
    fields["event.category"] = ["authentication"]
    _outcome(fields, "authentication", verdict == "Successful")
    fields["event.type"] = ["info"]


def _command(fields: Fields, m: re.Match[str]) -> None:
    user, command = m.groups()
    fields["user.name"] = user
    fields[_PREFIX + "command"] = command
    fields["event.category"] = ["configuration"]
    fields["event.type"] = ["change"]
    fields["event.action"] = "command"


_HANDLERS: dict[str, Callable[[Fields, re.Match[str]], None]] = {
    "built": _built, "teardown": _teardown, "deny_acl": _deny_acl,
    "access_list": _access_list, "login": _login, "aaa": _aaa, "command": _command,
}  # fmt: skip
# Which pattern reads which message ids; other ids only get the generic from/to reading.
_BY_ID = {
    "302013": "built", "302015": "built", "302014": "teardown", "302016": "teardown",
    "106023": "deny_acl", "106100": "access_list", "605004": "login", "605005": "login",
    "113004": "aaa", "113005": "aaa", "111008": "command",
}  # fmt: skip


def _generic(fields: Fields, message: str) -> None:
    m = _FROM_TO.search(message, 0, 512)
    if m is None:
        return
    if1, ip1, p1, if2, ip2, p2, interface = m.groups()
    if protocol := _PROTOCOL.search(message, 0, m.start() + 1):
        fields["network.transport"] = protocol.group(1).lower()
    _endpoint(fields, "source", ip1, p1)
    _endpoint(fields, "destination", ip2, p2)
    _interfaces(fields, if1 or interface, if2)
    if message.startswith(("Deny", "Inbound TCP connection denied", "Discard")) or (
        " denied " in message[:80]
    ):
        _outcome(fields, "deny", False)


def _header(prefix: str, origin: Origin) -> Fields:
    """The syslog part before the tag: priority, time, device name, as far as they exist."""
    if match := _YEAR_TIME.match(prefix):
        fields: Fields = {}
        try:
            moment = datetime.strptime(" ".join(match.group(1).split()), "%b %d %Y %H:%M:%S")
        except ValueError:
            return fields
        if (when := local(moment, zone_of(origin))) is not None:
            fields["@timestamp"] = when
        host = prefix[match.end() :].strip(" :")
        if host and " " not in host:
            fields["host.name"] = host
        return fields
    header = match_syslog(prefix + "x", origin) if prefix else None
    if header is None:
        return {}
    header.pop("message", None)
    for key in ("process.name", "log.syslog.appname", "event.dataset", "event.module"):
        header.pop(key, None)
    return header


def parse_cisco_asa(text: str, origin: Origin) -> Fields:
    tag = _TAG.search(text, 0, _HEAD_SEARCH)
    if tag is None:
        raise ParseError("not a Cisco ASA message (no %ASA-<level>-<id>: tag)")
    product, severity, message_id = tag.groups()
    message = text[tag.end() :]
    fields = _header(text[: tag.start()], origin)
    fields.update(
        {
            "event.dataset": origin.dataset or DATASET,
            "event.module": "cisco",
            "event.kind": "event",
            "event.category": ["network"],
            "event.type": ["info"],
            "event.code": message_id,
            "event.severity": int(severity),
            "log.level": severity,
            "message": message,
            "observer.vendor": "Cisco",
            "observer.product": product,
            "observer.type": "firewall",
            _PREFIX + "message_id": message_id,
        }
    )
    if "@timestamp" not in fields:
        fields["event.timestamp_fallback"] = True
    name = _BY_ID.get(message_id)
    match = _PATTERNS[name].search(message, 0, 4096) if name else None
    if name and match:
        _HANDLERS[name](fields, match)
    else:
        _generic(fields, message)
    return fields
