"""Small helpers that put values into ECS fields the same way in every parser.

Values come from attacker-controlled text, so every conversion here is total: a value that is
not what the field needs (an IP, a port, a bounded integer) is left out, never raised on.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from functools import lru_cache

from ingest.parse.base import Fields

_IPV4 = re.compile(r"(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}")
# What logs write for "no value"; such values are left out.
PLACEHOLDERS = frozenset(("", "-", "?", "(null)", "none", "None", "N/A"))
# ECS "long" is a signed 64-bit integer; bigger numbers stay text so no store rejects them.
_LONG_DIGITS = 18

TRANSPORTS = {
    "1": "icmp",
    "2": "igmp",
    "6": "tcp",
    "17": "udp",
    "47": "gre",
    "50": "esp",
    "51": "ah",
    "58": "ipv6-icmp",
    "132": "sctp",
}


_DOTTED_QUAD_CHARS = "0123456789."


def is_ip(text: str) -> bool:
    """IPv4 or IPv6 (with an optional ``%zone``), the forms ECS ``ip`` fields accept."""
    # A dotted quad, the usual address, is read by the C parser first, and not cached: records
    # keep bringing new addresses, and a cache miss costs several times the parse. Every text
    # it reads (four decimal parts up to 255, no leading zeros), _IPV4 matches too.
    if not text.strip(_DOTTED_QUAD_CHARS):
        try:
            socket.inet_pton(socket.AF_INET, text)
            return True
        except OSError:
            pass
    return _is_ip(text)


@lru_cache(maxsize=4096)
def _is_ip(text: str) -> bool:
    if _IPV4.fullmatch(text):
        return True
    if ":" not in text or len(text) > 64:
        return False
    # The C parser first: every address it reads, ipaddress reads too (it is stricter, and a
    # fuzzed check of millions of candidates found none it reads that ipaddress refuses),
    # and it is a hundred times faster. ipaddress has the last word on the rest (zone ids).
    try:
        socket.inet_pton(socket.AF_INET6, text)
        return True
    except (OSError, ValueError):
        pass
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def put_address(fields: Fields, prefix: str, value: str | None) -> None:
    """``<prefix>.ip`` for an address, ``<prefix>.domain`` for a name, nothing for a blank."""
    if value is None or value in PLACEHOLDERS:
        return
    if value[:1] == "[" and value[-1:] == "]":
        value = value[1:-1]
    if is_ip(value):
        fields[prefix + ".ip"] = value
    else:
        fields[prefix + ".domain"] = value


def integer(text: str | None) -> int | None:
    """A non-negative decimal integer that fits a signed 64-bit field, else None."""
    if text and len(text) <= _LONG_DIGITS and text.isdigit() and text.isascii():
        return int(text)
    return None


def put_int(fields: Fields, key: str, text: str | None) -> None:
    value = integer(text)
    if value is not None:
        fields[key] = value


def put_text(fields: Fields, key: str, text: str | None) -> None:
    """Set a keyword field unless the log wrote a placeholder for "nothing"."""
    if text is not None and text not in PLACEHOLDERS:
        fields[key] = text


def transport(proto: str) -> str:
    """IANA protocol number (as text) to ECS ``network.transport``; names pass through."""
    if proto.isdigit():
        return TRANSPORTS.get(proto, proto)
    return proto.lower()


# Kinds of value in a field mapping (see :func:`apply_mapping`).
TEXT = "text"
INT = "int"
ADDRESS = "address"
Mapping = dict[str, tuple[str, str]]


def apply_mapping(fields: Fields, values: dict[str, str], mapping: Mapping) -> None:
    """Copy ``values[key]`` to ``fields[target]`` for each ``key: (target, kind)``.

    ``kind`` is TEXT (placeholders such as ``-`` skipped), INT (non-integers skipped) or
    ADDRESS (``target`` is a prefix: ``<target>.ip`` or ``<target>.domain``). Written as one
    loop because FortiGate and CEF records go through it once per line.
    """
    for key, (target, kind) in mapping.items():
        value = values.get(key)
        if not value or value in PLACEHOLDERS:
            continue
        if kind is TEXT:
            fields[target] = value
        elif kind is INT:
            if len(value) <= _LONG_DIGITS and value.isdigit() and value.isascii():
                fields[target] = int(value)
        else:
            put_address(fields, target, value)
