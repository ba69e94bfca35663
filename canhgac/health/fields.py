"""What data health reads from an event: provenance fields, key fields per dataset, sequence
numbers. One table, one place; both stores build their health queries from it.

Provenance (set on every event at intake, :func:`ingest.parse.record.to_record` and the file
source):

- ``canhgac.source``: the configured source name (``syslog-tcp``, ``portal-nginx`` ...);
- ``log.source.address``: the sending IP address of a network source, without the port (a TCP
  client's port changes with every connection, so it would split one sender into many). The
  name is the one Beats' TCP/UDP/syslog inputs use; ECS itself has no sender-address field;
- ``log.file.path`` (ECS): the path of a tailed file.

A *source key* is (``canhgac.source``, ``host.name`` or else ``log.source.address``,
``event.dataset``): e.g. ``syslog-tcp / ecab-db01 / system.auth``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

SOURCE_FIELD = "canhgac.source"
ADDRESS_FIELD = "log.source.address"
FILE_PATH_FIELD = "log.file.path"
HOST_FIELD = "host.name"
DATASET_FIELD = "event.dataset"
MODULE_FIELD = "event.module"

#: Events of this ``event.module`` are text no parser recognised (``auto`` falls back to it).
RAW_MODULE = "raw"

#: dataset -> the fields its parser extracts when it understood the line (all must be there).
#: An event carrying them was understood; one without them was stored but not understood,
#: e.g. sshd lines in a format the auth parser no longer recognises.
KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "system.auth": ("event.action",),
    "nginx.access": ("url.path",),
    "apache.access": ("url.path",),
    "fortinet.firewall": ("source.ip",),
    "auditd.log": ("hanoi.auditd.record_type",),
    "cef": ("event.code",),
    "windows.security": ("winlog.event_id",),
    "windows.sysmon": ("winlog.event_id",),
    "windows.powershell": ("winlog.event_id",),
    "windows.system": ("winlog.event_id",),
    "windows.unknown": ("winlog.event_id",),
}

#: Any other dataset: understood when the event has at least one field a parser extracts
#: beyond the base fields every event gets (time, original line, dataset, provenance,
#: syslog header). A short list rather than "any field" so both stores test it cheaply.
GENERIC_FIELDS: tuple[str, ...] = (
    "event.action",
    "event.code",
    "source.ip",
    "destination.ip",
    "user.name",
    "url.path",
    "url.original",
    "http.response.status_code",
    "winlog.event_id",
    "error.message",
)

#: Per-stream sequence numbers, where a format has them: RFC 5424 ``[meta sequenceId=..]``,
#: Windows EventRecordID, the auditd serial. A gap between the smallest and largest number
#: seen in an hour, beyond the distinct numbers seen, is records lost on the way.
SEQUENCE_FIELDS: tuple[str, ...] = (
    "log.syslog.structured_data.meta.sequenceId",
    "winlog.record_id",
    "hanoi.auditd.sequence",
)


def sequence_number(value: object) -> int | None:
    """A sequence field's value as a number: a non-negative integer, or a string of at most
    18 digits; anything else (sent by the log itself) counts as no number."""
    if type(value) is int:
        return value if value >= 0 else None
    if isinstance(value, str) and 0 < len(value) <= 18 and value.isascii() and value.isdigit():
        return int(value)
    return None


def key_parts(fields: Mapping[str, Any]) -> tuple[str, str, str]:
    """The source key of an event as (source, host, dataset): ``host.name``, else the sender's
    address; a part the event lacks is empty. Values come from log content, so anything that
    is not text is shown as text."""
    source = fields.get(SOURCE_FIELD) or ""
    host = fields.get(HOST_FIELD) or fields.get(ADDRESS_FIELD) or ""
    dataset = fields.get(DATASET_FIELD) or ""
    return (
        source if type(source) is str else str(source),
        host if type(host) is str else str(host),
        dataset if type(dataset) is str else str(dataset),
    )


def first_sequence(fields: Mapping[str, Any]) -> int | None:
    """The event's sequence number: the first sequence field it has, if that is a number."""
    for name in SEQUENCE_FIELDS:
        if name in fields:
            return sequence_number(fields[name])
    return None


def is_understood(fields: Mapping[str, Any], dataset: str) -> bool:
    """Whether the event of ``dataset`` (as :func:`key_parts` gives it) carries its dataset's key
    fields, or, for another dataset, is not raw and has one of :data:`GENERIC_FIELDS`. A field
    holding null counts as absent, as Elasticsearch's ``exists`` sees it."""
    names = KEY_FIELDS.get(dataset)
    if names is not None:
        for name in names:
            if fields.get(name) is None:
                return False
        return True
    if fields.get(MODULE_FIELD) == RAW_MODULE:
        return False
    for name in GENERIC_FIELDS:
        if fields.get(name) is not None:
            return True
    return False


#: An event stamped more than this after it was stored is "in the future" (its sender's
#: clock runs ahead); below it, ordinary clock jitter.
FUTURE_TOLERANCE_S = 60.0

_DIGITS = re.compile(r"\d+")
_REASON_CLASS_CHARS = 80


def reason_class(reason: str) -> str:
    """The class of a dead letter's reason: the part before the first ``': '`` (the detail
    after it quotes the input), with numbers replaced by ``N``, so "line exceeds 1048576
    bytes" and every "invalid JSON: ..." count together."""
    head = reason.split(": ", 1)[0] if ": " in reason else reason
    if head.startswith("parser ") and "failed" in reason:
        # "parser auto failed: ValueError: ..." -> keep the exception type
        parts = reason.split(": ", 2)
        head = ": ".join(parts[:2])
    return _DIGITS.sub("N", head.strip())[:_REASON_CLASS_CHARS] or "?"


def host_of_peer(peer: str | None) -> str | None:
    """The IP address of a ``host:port`` / ``[v6]:port`` peer text, without the port."""
    if not peer:
        return None
    if peer.startswith("["):
        return peer[1 : peer.find("]")] if "]" in peer else peer
    host, sep, port = peer.rpartition(":")
    return host if sep and port.isdigit() and ":" not in host else peer
