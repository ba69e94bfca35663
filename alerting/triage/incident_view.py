"""What the incident page (and ``GET /api/v1/incidents/{id}/details``) shows: the incident,
its alerts, one timeline of alerts and actions in time order, and its response times."""

from __future__ import annotations

from dataclasses import dataclass
from secrets import token_hex
from typing import Any

from canhgac.models import Alert
from canhgac.store.base import AlertStore
from canhgac.store.incidents import Incident, IncidentFilter, IncidentStore
from canhgac.timeutil import from_iso

#: Alerts the page lists (an incident holds up to 1000; the API pages through ids).
ALERTS_SHOWN = 200


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One line of the timeline: an alert seen (``kind`` "alert") or an action taken."""

    at: str
    kind: str
    actor: str
    action: str
    alert: Alert | None
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class IncidentDetail:
    incident: Incident
    alerts: list[Alert]
    missing_alerts: int
    timeline: list[TimelineEntry]
    mtta_seconds: float | None
    mttr_seconds: float | None


def _seconds(start: str, end: str | None) -> float | None:
    if end is None:
        return None
    return max(0.0, (from_iso(end) - from_iso(start)).total_seconds())


def response_times(incident: Incident) -> tuple[float | None, float | None]:
    """(MTTA, MTTR) of one incident in seconds: creation to first acknowledgement, and to
    closing (None while it is not closed)."""
    closed = incident.closed_at if incident.status.value == "closed" else None
    return _seconds(incident.created_at, incident.acknowledged_at), _seconds(
        incident.created_at, closed
    )


def timeline(incident: Incident, alerts: list[Alert]) -> list[TimelineEntry]:
    """Alerts (at their first match) and actions, oldest first; an action and an alert at
    the same moment keep the action first (it is what brought the alert in)."""
    entries = [
        TimelineEntry(a.at, "action", a.actor, a.action, None, a.detail) for a in incident.actions
    ]
    entries += [TimelineEntry(a.first_seen, "alert", "", "alert", a, {}) for a in alerts]
    return sorted(entries, key=lambda e: (e.at, e.kind != "action"))


def incident_detail(incident: Incident, alerts: AlertStore) -> IncidentDetail:
    found = [alerts.get_alert(alert_id) for alert_id in incident.alert_ids[:ALERTS_SHOWN]]
    present = [alert for alert in found if alert is not None]
    mtta, mttr = response_times(incident)
    return IncidentDetail(
        incident=incident,
        alerts=present,
        missing_alerts=len(found) - len(present),
        timeline=timeline(incident, present),
        mtta_seconds=mtta,
        mttr_seconds=mttr,
    )


def open_incidents(incidents: IncidentStore | None, limit: int = 100) -> list[Incident]:
    """The incidents alerts can be added to (the queue's and alert page's choice), most
    recently changed first; none when the store keeps no incidents."""
    if incidents is None:
        return []
    return incidents.list_incidents(IncidentFilter(active=True, limit=limit))


def pick_context(incidents: IncidentStore | None) -> dict[str, Any]:
    """What the "create incident / add to incident" form needs (queue, alert page): the open
    incidents and a fresh request id, so submitting the same form twice creates one."""
    return {"open_incidents": open_incidents(incidents), "incident_request_id": token_hex(12)}


def alert_incidents(incidents: IncidentStore | None, alert_id: str) -> dict[str, Any]:
    """The alert page's incident context: the incidents holding it and those it may join."""
    context = pick_context(incidents)
    if incidents is None:
        return context | {"alert_incidents": []}
    holding = incidents.incidents_with_alerts([alert_id])
    held = {incident.id for incident in holding}
    choices = [i for i in context["open_incidents"] if i.id not in held]
    return context | {"alert_incidents": holding, "open_incidents": choices}
