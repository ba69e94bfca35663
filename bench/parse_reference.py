"""The reference for bench_parse.py: the least pure Python that turns a bench line (bytes)
into the same ECS document canhgac writes for it (regex groups, a dict, orjson).

Each function here knows only the shapes bench_parse.py generates: no dead letters, no
hostile input, no configuration, no caches, one regex per shape. That is what "the fastest
anyone could write it in Python" means for a given line; our parsers must read every shape a
format has. :func:`check` proves a reference honest: on a sample of lines it must build a
document equal to ours (key order aside), or the bench stops.
"""

from __future__ import annotations

from collections.abc import Callable

import orjson
from reference_base import Reference
from reference_lines import access, auditd, auth, rfc3164, rfc5424
from reference_records import cef, fortigate, json_log, windows


def auto(raw: bytes, source: str) -> bytes:
    """What ``auto`` does with the syslog port's mix, dispatched on the line's look."""
    if b"CEF:" in raw:
        return cef(raw, source)
    if raw.startswith(b"<189>date="):
        return fortigate(raw, source)
    if raw[4:7] == b">1 " or raw[5:8] == b">1 ":
        return rfc5424(raw, source)
    if raw.startswith(b"<"):
        return rfc3164(raw, source)
    return auth(raw, source)


REFERENCES: dict[str, Reference] = {
    "rfc3164": rfc3164,
    "rfc5424": rfc5424,
    "auth": auth,
    "auditd": auditd,
    "nginx": access("nginx.access"),
    "apache": access("apache.access"),
    "json": json_log,
    "fortigate": fortigate,
    "cef": cef,
    "windows": windows,
    "auto": auto,
}


def check(
    reference: Reference, ours: Callable[[bytes], str], lines: list[bytes], source: str
) -> None:
    """Stop the bench unless the reference writes our document for every line given."""
    for line in lines:
        expected, got = orjson.loads(ours(line)), orjson.loads(reference(line, source))
        if got != expected:
            diff = {
                k: (expected.get(k), got.get(k))
                for k in expected.keys() | got.keys()
                if expected.get(k) != got.get(k)
            }
            raise SystemExit(f"reference differs from ours on {line!r}: (ours, reference) {diff}")
