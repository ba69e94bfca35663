"""Changes to an incident, as pure functions, and the read-change-write loop that stores them.

Each change returns a new :class:`~canhgac.store.incidents.Incident` with its history entry,
or the incident unchanged when there is nothing to do (adding an alert it already holds), so
a repeated request writes nothing. :func:`update_incident` applies a change to the stored
incident under its revision and, when someone else wrote in between, reads and applies it
again: concurrent changes are merged, never lost.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from alerting.incidents.entities import DEFAULT_FIELDS, alert_entities
from canhgac.errors import StoreError
from canhgac.models import Alert, Severity
from canhgac.store.incidents import (
    MAX_INCIDENT_ACTIONS,
    MAX_INCIDENT_ALERTS,
    Incident,
    IncidentAction,
    IncidentStore,
)

SEVERITY_ORDER = list(Severity)
#: How often a change is re-applied after a concurrent write before giving up.
MAX_ATTEMPTS = 8
MAX_TITLE_CHARS = 300


class IncidentLimitError(ValueError):
    """The change would make the incident larger than one document may be."""


class IncidentConflictError(StoreError):
    """Others kept changing the incident; the change was not stored."""


def worst(severities: Sequence[Severity]) -> Severity:
    return max(severities, key=SEVERITY_ORDER.index)


def incident_id_for(seed: str) -> str:
    """A deterministic incident id (automatic grouping: the same first alert, the same id)."""
    return (
        "inc-" + hashlib.blake2b(seed.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
    )


def default_title(alerts: Sequence[Alert], entities: Sequence[str]) -> str:
    first = alerts[0]
    title = first.rule_title if len(alerts) == 1 else f"{first.rule_title} (+{len(alerts) - 1})"
    if entities:
        title = f"{title} — {entities[0]}"
    return title[:MAX_TITLE_CHARS]


def act(incident: Incident, actor: str, at: str, action: str, **detail: Any) -> Incident:
    """``incident`` with one more history entry, its ``updated_at`` moved and its revision
    bumped (every stored change goes through here)."""
    if len(incident.actions) >= MAX_INCIDENT_ACTIONS:
        raise IncidentLimitError(f"an incident keeps at most {MAX_INCIDENT_ACTIONS} actions")
    entry = IncidentAction(at=at, actor=actor, action=action, detail=detail)
    return incident.model_copy(
        update={
            "actions": [*incident.actions, entry],
            "updated_at": max(at, incident.updated_at),
            "revision": incident.revision + 1,
        }
    )


def new_incident(
    incident_id: str,
    *,
    title: str,
    actor: str,
    at: str,
    alerts: Sequence[Alert],
    severity: Severity | None = None,
    auto_key: str | None = None,
    fields: Sequence[str] = DEFAULT_FIELDS,
) -> Incident:
    """A new incident holding ``alerts`` (its severity their worst unless given)."""
    incident = Incident(
        id=incident_id,
        title=title[:MAX_TITLE_CHARS],
        severity=severity or worst([a.severity for a in alerts] or [Severity.medium]),
        created_by=actor,
        created_at=at,
        updated_at=at,
        auto_key=auto_key,
        revision=-1,  # act() makes it 0, the revision a new incident is stored with
    )
    incident = act(incident, actor, at, "incident.create", title=incident.title)
    if alerts:
        incident = add_alerts(incident, alerts, actor, at, fields=fields)
        incident = incident.model_copy(update={"revision": 0})
    return incident


def add_alerts(
    incident: Incident,
    alerts: Sequence[Alert],
    actor: str,
    at: str,
    *,
    fields: Sequence[str] = DEFAULT_FIELDS,
) -> Incident:
    """``incident`` also holding ``alerts``; unchanged if it holds them all already. Their
    entities join the incident's, and a more severe alert raises its severity."""
    held = set(incident.alert_ids)
    fresh = [a for a in dict((a.id, a) for a in alerts).values() if a.id not in held]
    if not fresh:
        return incident
    if len(held) + len(fresh) > MAX_INCIDENT_ALERTS:
        raise IncidentLimitError(f"an incident holds at most {MAX_INCIDENT_ALERTS} alerts")
    entities = list(incident.entities)
    for alert in fresh:
        entities += [key for key in alert_entities(alert, fields) if key not in entities]
    latest = max(a.last_seen for a in fresh)
    update: dict[str, Any] = {
        "alert_ids": [*incident.alert_ids, *(a.id for a in fresh)],
        "entities": entities,
        "last_alert_at": max(latest, incident.last_alert_at or latest),
    }
    severity = worst([incident.severity, *(a.severity for a in fresh)])
    changed = act(
        incident.model_copy(update=update),
        actor,
        at,
        "incident.add_alerts",
        alert_ids=[a.id for a in fresh],
    )
    if severity is not incident.severity:
        changed = act(
            changed.model_copy(update={"severity": severity}),
            actor,
            at,
            "incident.severity",
            before=incident.severity.value,
            after=severity.value,
        )
    return changed


def update_incident(
    store: IncidentStore,
    incident_id: str,
    change: Callable[[Incident], Incident],
    *,
    missing: Callable[[], Exception],
) -> tuple[Incident, Incident]:
    """Apply ``change`` to the stored incident and store the result; (before, after).

    Nothing is written when the change returns the incident as it was. ``missing`` makes the
    error raised when there is no such incident; whatever ``change`` raises passes through.
    """
    for _attempt in range(MAX_ATTEMPTS):
        before = store.get_incident(incident_id)
        if before is None:
            raise missing()
        after = change(before)
        if after is before or after == before:
            return before, before
        if store.replace_incident(after, before.revision):
            return before, after
    raise IncidentConflictError(f"incident {incident_id} kept changing; try again")
