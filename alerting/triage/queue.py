"""The alert queue's query: filters, sort and page, as URL parameters both pages and API take.

Filters live in the URL so a queue view can be shared and survives the page refreshing
itself. Times without an offset are Hanoi local time (what a ``datetime-local`` input sends);
times with ``Z`` or an offset are taken as given.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from alerting.triage.errors import InvalidInputError
from canhgac.models import AlertFilter, AlertSort, AlertStatus, Severity
from canhgac.text import nfc
from canhgac.timeutil import DISPLAY_ZONE, to_iso

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
MAX_FILTER_CHARS = 500
#: Times a filter or an expiry may name. Stored times are fixed-width four-digit-year UTC
#: strings compared as text, and a year-0001 local time has no UTC value at all: both ends
#: are refused with a message instead of failing deep inside (a 500).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)


def parse_time(text: str) -> str:
    """A canonical UTC string from ISO 8601 text; no offset means Asia/Ho_Chi_Minh."""
    shown = repr(text[:50])
    out_of_range = InvalidInputError(
        f"{shown} is out of range: times from {EARLIEST.year} to {LATEST.year - 1} only"
    )
    try:
        moment = datetime.fromisoformat(text.strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=DISPLAY_ZONE)
        moment = moment.astimezone(UTC)
    except ValueError:
        raise InvalidInputError(f"{shown} is not a date and time") from None
    except OverflowError:  # e.g. 0001-01-01 in Hanoi: before year 1 in UTC
        raise out_of_range from None
    if not EARLIEST <= moment < LATEST:
        raise out_of_range
    return to_iso(moment)


def local_input_value(utc: str | None) -> str:
    """A stored UTC string as a ``datetime-local`` input's value (Hanoi time)."""
    if not utc:
        return ""
    moment = datetime.fromisoformat(utc.replace("Z", "+00:00")).astimezone(DISPLAY_ZONE)
    return moment.strftime("%Y-%m-%dT%H:%M")


_TEXT = Field(default=None, max_length=MAX_FILTER_CHARS)


class QueueQuery(BaseModel):
    """One view of the queue. Empty parameters (an empty form field) mean "any"."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    status: AlertStatus | None = None
    severity: Severity | None = None
    rule_id: str | None = _TEXT
    host: str | None = _TEXT
    user: str | None = _TEXT
    source_ip: str | None = _TEXT
    assignee: str | None = _TEXT
    tag: str | None = _TEXT
    q: str | None = Field(default=None, max_length=MAX_FILTER_CHARS, description="Free text")
    since: str | None = Field(default=None, description="ISO 8601; no offset = Hanoi time")
    until: str | None = Field(default=None, description="ISO 8601; no offset = Hanoi time")
    sort: AlertSort = AlertSort.newest
    page: int = Field(default=1, ge=1, le=10_000)
    size: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=max(PAGE_SIZES))

    @model_validator(mode="before")
    @classmethod
    def _blank_is_any(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}
        return data

    @field_validator("rule_id", "host", "user", "source_ip", "assignee", "tag", "q")
    @classmethod
    def _normalized(cls, value: str | None) -> str | None:
        return None if value is None else nfc(value.strip())

    @field_validator("since", "until")
    @classmethod
    def _time(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return parse_time(value)
        except InvalidInputError as exc:
            raise ValueError(exc.message) from None

    def alert_filter(self) -> AlertFilter:
        return AlertFilter(
            status=self.status,
            severity=self.severity,
            rule_id=self.rule_id,
            host=self.host,
            user=self.user,
            source_ip=self.source_ip,
            assignee=self.assignee,
            tag=self.tag,
            text=self.q,
            since=self.since,
            until=self.until,
            sort=self.sort,
            limit=self.size,
            offset=(self.page - 1) * self.size,
        )

    def params(self, **changes: Any) -> dict[str, str]:
        """The URL parameters of this view with ``changes``, defaults left out."""
        values = self.model_dump(mode="json") | changes
        defaults = QueueQuery().model_dump(mode="json")
        return {k: str(v) for k, v in values.items() if v is not None and v != defaults.get(k)}

    def query_string(self, **changes: Any) -> str:
        return urlencode(self.params(**changes))
