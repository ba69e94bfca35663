"""Alerts from matched events: severity, deterministic ids, grouping and a field snapshot.

An alert id is a hash of what the alert *is*, never a counter, so re-running a window after a
crash records the same alerts again and the store merges them instead of doubling them:

* one alert per matched event: ``blake2(rule id, event id)``;
* a grouping rule: ``blake2(rule id, group values, suppression bucket)``, where the bucket is
  the event's ``@timestamp`` floored to the rule's ``suppress`` window. Matches of one group
  within a bucket add to one alert's count.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from canhgac.models import INGESTED, TIMESTAMP, Alert, Event, Severity
from canhgac.text import dumps
from canhgac.timeutil import floor_to, from_iso, to_iso

# Sigma ``level`` -> severity; a rule without a level is treated as medium.
LEVEL_SEVERITY: dict[str, Severity] = {severity.value: severity for severity in Severity}
DEFAULT_SEVERITY = Severity.medium

# The fields an analyst needs at a glance, copied from the first matched event that has them.
SNAPSHOT_FIELDS: tuple[str, ...] = (
    "event.dataset",
    "event.action",
    "event.outcome",
    "event.code",
    "host.name",
    "user.name",
    "user.effective.name",
    "user.target.name",
    "source.ip",
    "source.port",
    "destination.ip",
    "destination.port",
    "url.original",
    "http.request.method",
    "http.response.status_code",
    "process.name",
    "process.executable",
    "process.command_line",
    "observer.name",
    "message",
)
# Log content is attacker-controlled; a snapshot value never carries a megabyte line.
SNAPSHOT_TEXT_LIMIT = 1024


@dataclass(frozen=True, slots=True)
class AlertRule:
    """What an alert needs to know about the rule that raised it."""

    id: str
    title: str
    severity: Severity = DEFAULT_SEVERITY
    description: str = ""
    path: str = ""
    tags: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    author: str = ""
    group_by: tuple[str, ...] = ()
    # None: one alert per event. Set: matches of a group within a bucket share one alert.
    suppress: timedelta | None = None

    def alert_fields(self) -> dict[str, Any]:
        """The fields every alert of this rule carries about the rule itself."""
        return {
            "rule_id": self.id,
            "rule_title": self.title,
            "rule_description": self.description,
            "rule_path": self.path,
            "severity": self.severity,
            "tags": list(self.tags),
            "references": list(self.references),
            "author": self.author,
        }


@dataclass(frozen=True, slots=True)
class AlertDraft:
    """An alert to record and the matched events it covers."""

    alert: Alert
    event_ids: list[str] = field(default_factory=list)


def severity_for(level: str | None) -> Severity:
    if level is None:
        return DEFAULT_SEVERITY
    return LEVEL_SEVERITY.get(level.lower(), DEFAULT_SEVERITY)


def alert_id(*parts: str) -> str:
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16)
    return digest.hexdigest()


def build_alerts(rule: AlertRule, events: Sequence[Event], now: str) -> list[AlertDraft]:
    """Alerts for ``events`` matched by ``rule``, in order of each alert's first event."""
    groups: dict[str, list[tuple[Event, datetime]]] = {}
    keys: dict[str, dict[str, Any]] = {}
    for event in events:
        moment = event_time(event)
        if rule.suppress is None:
            key: dict[str, Any] = {}
            identity = alert_id(rule.id, event.id)
        else:
            key = {name: event.fields.get(name) for name in rule.group_by}
            bucket = to_iso(floor_to(moment, rule.suppress))
            identity = alert_id(rule.id, dumps(list(key.values())), bucket)
        groups.setdefault(identity, []).append((event, moment))
        keys.setdefault(identity, key)
    return [
        _draft(rule, identity, keys[identity], members, now) for identity, members in groups.items()
    ]


def event_time(event: Event) -> datetime:
    """The event's ``@timestamp``, or when it was stored if that is unreadable."""
    for name in (TIMESTAMP, INGESTED):
        try:
            return from_iso(str(event.fields[name]))
        except (KeyError, ValueError):
            continue
    return from_iso("1970-01-01T00:00:00Z")


def snapshot(events: Sequence[Event], extra: Sequence[str] = ()) -> dict[str, Any]:
    """Key fields from the first event carrying each one."""
    found: dict[str, Any] = {}
    for name in dict.fromkeys((*SNAPSHOT_FIELDS, *extra)):
        for event in events:
            value = event.fields.get(name)
            if value is not None:
                found[name] = _bounded(value)
                break
    return found


def _bounded(value: Any) -> Any:
    if isinstance(value, str) and len(value) > SNAPSHOT_TEXT_LIMIT:
        return value[:SNAPSHOT_TEXT_LIMIT] + "…"
    return value


def _draft(
    rule: AlertRule,
    identity: str,
    key: dict[str, Any],
    members: list[tuple[Event, datetime]],
    now: str,
) -> AlertDraft:
    events = [event for event, _ in members]
    moments = [moment for _, moment in members]
    alert = Alert(
        id=identity,
        **rule.alert_fields(),
        group_key={name: _bounded(value) for name, value in key.items()},
        first_seen=to_iso(min(moments)),
        last_seen=to_iso(max(moments)),
        count=len(events),
        event_ids=[event.id for event in events],
        snapshot=snapshot(events, rule.group_by),
        created_at=now,
        updated_at=now,
    )
    return AlertDraft(alert, [event.id for event in events])
