"""What a chat message or a case says about an alert, before any target's markup.

:func:`alert_message` reduces an alert to plain, bounded, control-free text fields and the link
to its page in the web UI (``web.public_url`` + ``/alerts/<id>``); each channel then writes
those fields in its own markup, escaping every value (:mod:`alerting.notify.markup`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from alerting.notify.render import context, display_time, shorten, strip_controls
from canhgac.models import Alert, Severity

#: Words of the messages by ``language`` (a channel's setting); field names stay ECS.
LABELS_BY_LANGUAGE: dict[str, dict[str, str]] = {
    "vi": {
        "alert": "Cảnh báo",
        "time": "Thời gian",
        "count": "Số sự kiện",
        "rule": "Quy tắc",
        "open": "Mở cảnh báo",
    },
    "en": {
        "alert": "Alert",
        "time": "Time",
        "count": "Events",
        "rule": "Rule",
        "open": "Open alert",
    },
}
#: Vietnamese, the team's language and every channel's default.
LABELS = LABELS_BY_LANGUAGE["vi"]


@dataclass(frozen=True, slots=True)
class AlertLinks:
    """Where the web UI is, as analysts reach it; None: messages carry no link."""

    public_url: str | None = None

    def alert(self, alert_id: str) -> str | None:
        if not self.public_url:
            return None
        return f"{self.public_url.rstrip('/')}/alerts/{quote(alert_id, safe='')}"

    def queue(self, **params: str) -> str | None:
        """The alert queue filtered by ``params`` (the queue page's URL parameters)."""
        if not self.public_url:
            return None
        query = urlencode({name: value for name, value in params.items() if value})
        return f"{self.public_url.rstrip('/')}/alerts?{query}"


@dataclass(frozen=True, slots=True)
class AlertMessage:
    """An alert as plain text fields (controls stripped, values bounded), not yet escaped."""

    alert_id: str
    rule_id: str
    severity: Severity
    title: str
    description: str
    time: str
    count: int
    context: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    link: str | None = None
    first_seen: str = ""
    labels: dict[str, str] = field(default_factory=lambda: LABELS)

    @property
    def headline(self) -> str:
        """``[HIGH] rule title``."""
        return f"[{self.severity.upper()}] {self.title}"

    def facts(self) -> list[tuple[str, str]]:
        """(label, value) pairs in display order: who/where, time, count, rule."""
        return [
            *self.context.items(),
            (self.labels["time"], self.time),
            (self.labels["count"], str(self.count)),
            (self.labels["rule"], self.rule_id),
        ]

    def template_context(self) -> dict[str, Any]:
        """What an alert template sees as ``alert`` (plain values; the template escapes)."""
        return {
            "id": self.alert_id,
            "rule_id": self.rule_id,
            "severity": str(self.severity),
            "headline": self.headline,
            "title": self.title,
            "description": self.description,
            "time": self.time,
            "first_seen": self.first_seen,
            "count": self.count,
            "context": dict(self.context),
            "tags": list(self.tags),
            "link": self.link,
        }


def _plain(text: str, limit: int = 200) -> str:
    return shorten(strip_controls(text).strip(), limit)


def alert_message(alert: Alert, links: AlertLinks, language: str = "vi") -> AlertMessage:
    return AlertMessage(
        alert_id=_plain(alert.id),
        rule_id=_plain(alert.rule_id),
        severity=alert.severity,
        title=_plain(alert.rule_title),
        description=_plain(alert.rule_description, 1000),
        time=display_time(alert),
        count=alert.count,
        context={name: _plain(value) for name, value in context(alert).items()},
        tags=[_plain(tag, 100) for tag in alert.tags],
        link=links.alert(alert.id),
        first_seen=alert.first_seen,
        labels=LABELS_BY_LANGUAGE[language],
    )
