"""The demo's records: a raw line with the channel it travels through, and planted attacks.

The demo reaches a running instance only the way a city host would: syslog datagrams and
streams, HTTP JSON posts and a log file the instance tails. A :class:`Channel` names which.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Channel(StrEnum):
    """How a line reaches the instance."""

    syslog_udp = "syslog_udp"  # one datagram per line
    syslog_tcp = "syslog_tcp"  # RFC 6587 octet-counted frames on one connection
    http = "http"  # NDJSON body of POST /ingest; each line is one JSON object
    file = "file"  # appended to the file the instance tails


@dataclass(frozen=True, slots=True)
class LogLine:
    """One raw log record as a city host would emit it.

    ``attack`` is the key of the planted attack the line belongs to, None for benign traffic.
    """

    channel: Channel
    text: str
    attack: str | None = None


@dataclass(frozen=True, slots=True)
class BurstLine:
    """A line of an attack burst, ``delay_s`` after the burst starts (its timestamp too)."""

    delay_s: float
    line: LogLine


@dataclass(frozen=True, slots=True)
class PlantedAttack:
    """One attack burst that was sent, and the rules (file stems) that should catch it.

    ``rules``: at least one of them must raise an alert for the attack to count as caught.
    ``also``: rules the same lines legitimately fire too; their alerts are not "unexpected".
    """

    key: str
    title: str
    rules: tuple[str, ...]
    also: tuple[str, ...]
    planted_at: str  # canonical UTC string of the burst's first line
    lines: tuple[LogLine, ...]
