"""What every reference in :mod:`parse_reference` shares: times, the common fields, JSON."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson

YEAR = 2024  # the year of year-less (RFC 3164) times: the bench's receive time is in 2024
LOCAL = timezone(timedelta(hours=7))  # Asia/Ho_Chi_Minh, the sources' default zone
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}
Doc = dict[str, Any]
Reference = Callable[[bytes, str], bytes]


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def bsd_time(month: str, day: str, clock: str) -> str:
    hour, minute, second = clock.split(":")
    local = datetime(YEAR, MONTHS[month], int(day), int(hour), int(minute), int(second), 0, LOCAL)
    return utc(local)


def finish(doc: Doc, text: str, source: str, outcome: str | None = "unknown") -> bytes:
    """The fields every event gets, then the JSON."""
    doc["event.original"] = text
    doc.setdefault("event.kind", "event")
    doc.setdefault("event.category", "host")
    doc.setdefault("event.type", "info")
    if outcome:
        doc.setdefault("event.outcome", outcome)
    ips = [doc[k] for k in ("source.ip", "destination.ip", "source.nat.ip") if k in doc]
    users = [doc[k] for k in ("user.name", "user.effective.name", "source.user.name") if k in doc]
    if ips:
        doc["related.ip"] = ips
    if users:
        doc["related.user"] = list(dict.fromkeys(users))
    if "host.name" in doc:
        doc["related.hosts"] = [doc["host.name"]]
    doc["canhgac.source"] = source
    return orjson.dumps(doc)


def priority(doc: Doc, pri: str) -> None:
    value = int(pri)
    doc["log.syslog.priority"] = value
    doc["log.syslog.facility.code"] = value >> 3
    doc["log.syslog.severity.code"] = value & 7
