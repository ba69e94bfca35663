"""ArcSight Common Event Format, with or without a syslog header.

``CEF:0|Vendor|Product|Version|SignatureID|Name|Severity|ext1=value ext2=multi word value``

Header fields escape ``\\|`` and ``\\\\``; extension values escape ``\\=``, ``\\\\`` and
``\\n``/``\\r`` and may contain unescaped spaces: a value runs until the next `` key=``.
"""

from __future__ import annotations

import re

from canhgac.errors import ParseError
from ingest.parse.base import Fields, Origin
from ingest.parse.ecs import ADDRESS, INT, TEXT, Mapping, apply_mapping, integer, transport
from ingest.parse.syslog import match_syslog
from ingest.parse.timestamps import bsd_of, epoch_text, iso8601, zone_of

DATASET = "cef"
_FIELD = r"([^|\\]*(?:\\.[^|\\]*)*)\|"  # "unrolled loop": linear and fast
HEADER = re.compile(r"CEF: ?(\d+)\|" + _FIELD * 6 + r"(.*)\Z", re.S)
# A key is word characters (plus the dots and brackets some vendors use) after a space; an
# escaped "\=" is never a key boundary because "\" is not a key character. Splitting on this
# pattern is one C call per record.
_KEY = re.compile(r" ([\w.\[\]-]+)=")
_HEADER_ESCAPE = re.compile(r"\\([|\\])")
_VALUE_ESCAPE = re.compile(r"\\([=\\nr])")
_VALUE_ESCAPES = {"=": "=", "\\": "\\", "n": "\n", "r": "\r"}
_SEVERITIES = {"low": 3, "medium": 6, "high": 8, "very-high": 10}
_PREFIX = "cef.extensions."
_MAPPING: Mapping = {
    "src": ("source", ADDRESS),
    "dst": ("destination", ADDRESS),
    "sourceTranslatedAddress": ("source.nat", ADDRESS),
    "spt": ("source.port", INT),
    "dpt": ("destination.port", INT),
    "in": ("source.bytes", INT),
    "shost": ("source.domain", TEXT),
    "dhost": ("destination.domain", TEXT),
    "suser": ("source.user.name", TEXT),
    "duser": ("destination.user.name", TEXT),
    "act": ("event.action", TEXT),
    "request": ("url.original", TEXT),
    "requestMethod": ("http.request.method", TEXT),
    "msg": ("message", TEXT),
    "app": ("network.protocol", TEXT),
    "requestClientApplication": ("user_agent.original", TEXT),
    "fname": ("file.name", TEXT),
    "filePath": ("file.path", TEXT),
    "cat": ("cef.category", TEXT),
}


def _unescape_header(value: str) -> str:
    return _HEADER_ESCAPE.sub(r"\1", value) if "\\" in value else value


def _unescape_match(match: re.Match[str]) -> str:
    return _VALUE_ESCAPES[match.group(1)]


def extensions(text: str) -> dict[str, str]:
    """The extension's key=value pairs; values may contain spaces."""
    parts = _KEY.split(" " + text)  # ["", key1, value1, key2, value2, ...]
    values = dict(zip(parts[1::2], parts[2::2], strict=True))
    if "\\" in text:
        for key, value in values.items():
            if "\\" in value:
                values[key] = _VALUE_ESCAPE.sub(_unescape_match, value)
    return values


def _timestamp(fields: Fields, values: dict[str, str], origin: Origin) -> None:
    stamp = values.get("rt") or values.get("end") or values.get("start")
    if not stamp:
        return
    zone = zone_of(origin)
    when = epoch_text(stamp) if stamp.isdigit() else iso8601(stamp, zone)
    if when is None:
        # "Mar 05 2024 14:02:11" (with an optional zone name we cannot trust) is also legal.
        when = bsd_of(" ".join(stamp.split()[:4]), origin)
    if when is None:
        fields["event.timestamp_fallback"] = True
    else:
        fields["@timestamp"] = when


def _severity(fields: Fields, severity: str) -> None:
    fields["cef.severity"] = severity
    number = integer(severity)
    if number is None:
        number = _SEVERITIES.get(severity.lower())
    if number is not None:
        fields["event.severity"] = number


def enrich_cef(fields: Fields, message: str, origin: Origin) -> Fields | None:
    """Add the fields of the CEF record starting in ``message``; None if there is none."""
    start = message.find("CEF:")
    header = HEADER.match(message, start) if start >= 0 else None
    if header is None:
        return None
    version, vendor, product, product_version, signature, name, severity, rest = header.groups()
    fields["event.dataset"] = origin.dataset or DATASET
    fields["event.module"] = "cef"
    fields["cef.version"] = version
    fields["observer.vendor"] = _unescape_header(vendor)
    fields["observer.product"] = _unescape_header(product)
    fields["observer.version"] = _unescape_header(product_version)
    fields["event.code"] = _unescape_header(signature)
    fields["cef.name"] = fields["message"] = _unescape_header(name)
    _severity(fields, _unescape_header(severity))
    values = extensions(rest)
    for key, value in values.items():  # a loop: faster than update(zip(map(...)))
        fields[_PREFIX + key] = value
    apply_mapping(fields, values, _MAPPING)
    if proto := values.get("proto"):
        fields["network.transport"] = transport(proto)
    _timestamp(fields, values, origin)
    return fields


def parse_cef(text: str, origin: Origin) -> Fields:
    if text.startswith("CEF:"):
        fields = enrich_cef({}, text, origin)
    else:
        header = match_syslog(text, origin)
        fields = None if header is None else enrich_cef(header, header["message"], origin)
        if fields is None:
            fields = enrich_cef({}, text, origin)
    if fields is None:
        raise ParseError("not a CEF record: expected 'CEF:Version|Vendor|Product|...' (7 fields)")
    return fields
