"""Everything the alert page (and ``GET /api/v1/alerts/{id}/details``) shows about one alert."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from alerting.triage.related import related_events
from canhgac.models import ORIGINAL, TIMESTAMP, Alert, Event, Notification
from canhgac.store.base import TriageSiteStore
from canhgac.store.triage import Comment, StatusChange, TriageStore

_ATTACK_TECHNIQUE = re.compile(r"^attack\.t(\d{4})(?:\.(\d{3}))?$", re.IGNORECASE)
#: How much of an event's text the timeline shows per line.
SUMMARY_CHARS = 300


@dataclass(frozen=True, slots=True)
class FieldView:
    name: str
    value: str
    #: The alert is about this field: it is in the alert's snapshot or grouping key with
    #: this very value.
    highlighted: bool


@dataclass(frozen=True, slots=True)
class EventView:
    id: str
    timestamp: str
    fields: list[FieldView]
    original: str | None


@dataclass(frozen=True, slots=True)
class TimelineItem:
    id: str
    timestamp: str
    dataset: str
    host: str
    user: str
    source_ip: str
    summary: str
    matched: bool


@dataclass(frozen=True, slots=True)
class Link:
    text: str
    url: str | None  # None: shown as text only


@dataclass(frozen=True, slots=True)
class AlertDetail:
    alert: Alert
    raw_events: list[Event]
    events: list[EventView]
    missing_events: int
    timeline: list[TimelineItem]
    timeline_truncated: bool
    history: list[StatusChange]
    comments: list[Comment]
    notifications: list[Notification]
    tags: list[Link]
    references: list[Link]


def display_value(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(display_value(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def safe_url(text: str) -> str | None:
    """``text`` if it is a plain http(s) URL worth linking to, else None (shown as text).

    References come from rule files, which may be imported from elsewhere; a ``javascript:``
    or ``data:`` URL must never become a link.
    """
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return None
    return text


def attack_link(tag: str) -> Link:
    match = _ATTACK_TECHNIQUE.match(tag)
    if match is None:
        return Link(tag, None)
    technique, sub = match.groups()
    path = f"T{technique}/{sub}/" if sub else f"T{technique}/"
    return Link(tag, f"https://attack.mitre.org/techniques/{path}")


def _highlighted(alert: Alert) -> dict[str, str]:
    return {
        name: display_value(value)
        for source in (alert.snapshot, alert.group_key)
        for name, value in source.items()
        if value is not None
    }


def event_view(event: Event, highlighted: dict[str, str]) -> EventView:
    fields = [
        FieldView(name, text, highlighted.get(name) == text)
        for name, value in sorted(event.fields.items())
        if name != ORIGINAL
        for text in (display_value(value),)
    ]
    original = event.fields.get(ORIGINAL)
    return EventView(
        event.id,
        str(event.fields.get(TIMESTAMP, "")),
        fields,
        None if original is None else str(original),
    )


def timeline_item(event: Event, matched: set[str]) -> TimelineItem:
    fields = event.fields
    summary = display_value(fields.get("message") or fields.get(ORIGINAL) or "")
    if len(summary) > SUMMARY_CHARS:
        summary = summary[:SUMMARY_CHARS] + "…"
    return TimelineItem(
        id=event.id,
        timestamp=str(fields.get(TIMESTAMP, "")),
        dataset=display_value(fields.get("event.dataset")),
        host=display_value(fields.get("host.name")),
        user=display_value(fields.get("user.name")),
        source_ip=display_value(fields.get("source.ip")),
        summary=summary,
        matched=event.id in matched,
    )


def alert_detail(
    store: TriageSiteStore, triage: TriageStore, alert: Alert, now: datetime
) -> AlertDetail:
    events = store.get_events(alert.event_ids)
    highlighted = _highlighted(alert)
    related, truncated = related_events(store, alert, now)
    matched = set(alert.event_ids)
    return AlertDetail(
        alert=alert,
        raw_events=events,
        events=[event_view(event, highlighted) for event in events],
        missing_events=len(set(alert.event_ids)) - len(events),
        timeline=[timeline_item(event, matched) for event in related],
        timeline_truncated=truncated,
        history=triage.list_status_changes(alert.id),
        comments=triage.list_comments(alert.id),
        notifications=store.list_notifications(alert.id),
        tags=[attack_link(tag) for tag in alert.tags],
        references=[Link(ref, safe_url(ref)) for ref in alert.references],
    )
