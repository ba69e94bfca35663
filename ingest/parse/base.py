"""The parser contract.

A parser is a plain function ``(text, origin) -> fields``: it gets one decoded record
(NFC-normalized text) and returns flat ECS fields with dotted keys. It raises
:class:`canhgac.errors.ParseError` with a short reason when the record is not in its format;
the caller turns that into a dead letter. Parsers never see bytes and never build ids.

A parser sets ``event.dataset`` (``origin.dataset`` if configured, else its own default) and
``event.module``, and ``@timestamp`` when the record carries a time it can read; when the
record's time cannot be read it sets ``event.timestamp_fallback`` instead, and
:func:`ingest.parse.record.to_record` fills in the receive time. ``origin.timezone`` is the
source's zone for times written without an offset (RFC 3164, web server error logs, naive
JSON times), ``origin.year`` the year of year-less RFC 3164 times in an archived file (None:
inferred from the receive time). ``origin.extra`` may hold ``host.name``.

Field names are ECS with ECS types (``process.parent.pid``, never ``process.ppid``); what
is not ECS goes under ``hanoi.<dataset>.<field>`` (or an Elastic integration's namespace
such as ``winlog.*``). A parser sets ``event.category``/``event.type``/``event.outcome``
where it knows them; :mod:`ingest.parse.categories` completes them (and ``event.kind``)
with ECS allowed values, and :mod:`ingest.parse.related` fills ``related.*``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Hanoi's servers keep local time; a source whose hosts log in another zone says so.
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a record came from; the same for every record of one read."""

    source: str  # the configured source name
    identity: str  # stable stream identity, e.g. "file:<inode>:<fingerprint>"
    received_at: str  # canonical UTC string
    parser: str = "auto"
    encoding: str = "utf-8"
    dataset: str | None = None
    peer: str | None = None  # sender address for network sources
    timezone: str = DEFAULT_TIMEZONE  # IANA name, for times written without an offset
    year: int | None = None  # the year of year-less times; None: inferred
    extra: dict[str, Any] = field(default_factory=dict)


Fields = dict[str, Any]
Parser = Callable[[str, Origin], Fields]
