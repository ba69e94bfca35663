"""FortiGate (FortiOS) key=value logs, bare or behind a syslog header.

``date=2024-03-05 time=14:02:11 devname="FGT-HN-01" devid="FG100FTK19000001" type="traffic"
srcip=10.10.1.23 srcport=51234 dstip=203.0.113.10 dstport=443 proto=6 action="accept" ...``

FortiOS sends ``<189>date=...`` (a PRI and nothing else of a header) by default, or a full
RFC 3164 header when configured so. Every pair is kept as ``fortinet.firewall.<key>``.
"""

from __future__ import annotations

import re
from itertools import islice

from canhgac.errors import ParseError
from ingest.parse.base import Fields, Origin
from ingest.parse.ecs import ADDRESS, INT, TEXT, Mapping, apply_mapping, transport
from ingest.parse.syslog import match_syslog
from ingest.parse.timestamps import epoch_text, iso8601, zone_of

DATASET = "fortinet.firewall"
# A key starts where no key character precedes it: without the look-behind, a long run of
# word characters without "=" is rescanned from every position (quadratic on a 1 MB line).
# A value is "quoted" (backslash escapes allowed), or runs to the next space. An unclosed quote
# takes the rest of the record, so the pattern always matches and a line is scanned once.
# Possessive quantifiers (*+): nothing to backtrack into, so the engine keeps no state per
# repetition; with plain * a 1 MB run of escapes grew that state past the CPU caches and cost
# 8x what a quarter of it did.
PAIR = re.compile(
    r'(?<![\w.-])([A-Za-z_][\w.-]*+)=(?:"([^"\\]*+(?:\\.[^"\\]*+)*+)(?:"|\\?\Z)|(\S*+))', re.S
)
# FortiOS writes at most about 150 pairs; a record with thousands is an attack on the store
# (one field each), so the rest of it is left unread, in event.original only.
MAX_PAIRS = 512
# Up to this length a record is read with findall (at most a few thousand pairs, in one list);
# a longer one pair by pair, so a hostile megabyte of pairs is read no further than MAX_PAIRS.
_FINDALL_CHARS = 16_384
_LOOKS_LIKE = re.compile(r"(?:<\d{1,3}>)?(?:date=\d{4}-\d\d-\d\d |logver=|itime=|devname=)")
_MARKERS = ("devname", "devid", "logid")
_ESCAPE = re.compile(r"\\(.)", re.S)
_FAILURE_ACTIONS = frozenset(("deny", "block", "blocked", "drop", "dropped", "reject", "reset"))
_PREFIX = "fortinet.firewall."
_MAPPING: Mapping = {
    "srcip": ("source", ADDRESS),
    "dstip": ("destination", ADDRESS),
    "transip": ("source.nat", ADDRESS),
    "srcport": ("source.port", INT),
    "dstport": ("destination.port", INT),
    "transport": ("source.nat.port", INT),  # FortiOS: the NAT source port, not the L4 protocol
    "sentbyte": ("source.bytes", INT),
    "rcvdbyte": ("destination.bytes", INT),
    "devname": ("observer.name", TEXT),
    "devid": ("observer.serial_number", TEXT),
    "srcintf": ("observer.ingress.interface.name", TEXT),
    "dstintf": ("observer.egress.interface.name", TEXT),
    "policyid": ("rule.id", TEXT),
    "msg": ("message", TEXT),
    "user": ("source.user.name", TEXT),
    "srccountry": ("source.geo.country_name", TEXT),
    "dstcountry": ("destination.geo.country_name", TEXT),
}


def looks_like_fortigate(text: str) -> bool:
    """Cheap test for ``auto``: a record that starts the way FortiOS records start."""
    return _LOOKS_LIKE.match(text) is not None


def _unescape(value: str) -> str:
    # split keeps the escaped characters (the group) and drops their backslashes; joining the
    # pieces is several times cheaper than sub(r"\1") on a value dense with escapes.
    return "".join(_ESCAPE.split(value))


def _pairs(text: str) -> tuple[dict[str, str], bool]:
    """The first :data:`MAX_PAIRS` pairs, and whether the record had more."""
    if len(text) <= _FINDALL_CHARS:
        # One C call returns every pair as a tuple ("" for the group that did not take
        # part): no match object per pair. A record this short has few enough pairs.
        pairs = PAIR.findall(text)
        more = len(pairs) > MAX_PAIRS
        del pairs[MAX_PAIRS:]
    else:
        matches = PAIR.finditer(text)
        pairs = [match.groups("") for match in islice(matches, MAX_PAIRS)]
        more = next(matches, None) is not None
    if "\\" not in text:
        return {key: quoted or bare for key, quoted, bare in pairs}, more
    return {key: _unescape(quoted) if quoted else bare for key, quoted, bare in pairs}, more


def _timestamp(fields: Fields, values: dict[str, str], origin: Origin) -> None:
    when = None
    eventtime = values.get("eventtime")
    if eventtime:
        when = epoch_text(eventtime)
    if when is None and "date" in values:
        zone = values.get("tz", "")
        offset = f"{zone[:3]}:{zone[3:]}" if len(zone) == 5 and zone[0] in "+-" else ""
        when = iso8601(
            f"{values['date']}T{values.get('time', '00:00:00')}{offset}", zone_of(origin)
        )
    if when is not None:
        fields["@timestamp"] = when
    elif eventtime or "date" in values:
        fields["event.timestamp_fallback"] = True


def enrich_fortigate(fields: Fields, message: str, origin: Origin) -> Fields | None:
    """Add FortiGate fields from ``message``; None if it is not a FortiGate record."""
    values, more = _pairs(message)
    if not any(marker in values for marker in _MARKERS) or len(values) < 3:
        return None
    if more:
        fields["event.fields_truncated"] = True
    fields["event.dataset"] = origin.dataset or DATASET
    fields["event.module"] = "fortinet"
    fields["event.category"] = "network"
    fields["observer.vendor"] = "Fortinet"
    fields["observer.product"] = "FortiGate"
    fields["observer.type"] = "firewall"
    _timestamp(fields, values, origin)
    for key, value in values.items():  # a loop: faster than update(zip(map(...)))
        fields[_PREFIX + key] = value
    apply_mapping(fields, values, _MAPPING)
    if proto := values.get("proto"):
        fields["network.transport"] = transport(proto)
    if service := values.get("service"):
        fields["network.protocol"] = service.lower()
    if action := values.get("action"):
        fields["event.action"] = action
        denied = action in _FAILURE_ACTIONS
        fields["event.outcome"] = "failure" if denied else "success"
        # ECS: a firewall's verdict on a connection (Elastic's Fortinet integration does so).
        if values.get("type") == "traffic":
            fields["event.type"] = ["connection", "denied" if denied else "allowed"]
    return fields


def parse_fortigate(text: str, origin: Origin) -> Fields:
    if looks_like_fortigate(text) and not text.startswith("<"):
        fields = enrich_fortigate({}, text, origin)
    else:
        header = match_syslog(text, origin)
        if header is None:
            fields = enrich_fortigate({}, text, origin)
        else:
            fields = enrich_fortigate(header, header["message"], origin)
    if fields is None:
        raise ParseError("not a FortiGate key=value record (no devname/devid/logid)")
    return fields
