"""Timestamps: stored in UTC as fixed-width ISO 8601 strings, shown in Asia/Ho_Chi_Minh.

A fixed width (microseconds, trailing ``Z``) makes lexical order equal chronological order,
which both SQLite range scans and Elasticsearch ``date`` fields rely on.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

DISPLAY_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
_ISO_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_iso(moment: datetime) -> str:
    """Format an aware datetime as the canonical UTC string; naive means UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(_ISO_FORMAT)


def from_iso(text: str) -> datetime:
    """Parse any ISO 8601 string (``Z`` or offset); naive means UTC."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def now_iso() -> str:
    return to_iso(utcnow())


def for_display(text: str) -> str:
    """Show a stored UTC time in the city's zone, with the zone named."""
    return from_iso(text).astimezone(DISPLAY_ZONE).strftime("%Y-%m-%d %H:%M:%S %Z (UTC+07:00)")


def floor_to(moment: datetime, step: timedelta) -> datetime:
    """The start of the ``step``-long bucket holding ``moment`` (buckets start at the epoch)."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return epoch + ((moment - epoch) // step) * step
