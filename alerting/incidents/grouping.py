"""Automatic grouping: alerts sharing an entity within a time window join one open incident.

For each alert not yet in any incident (oldest first, then by id, so the outcome does not
depend on the order alerts were read in):

- its entities are the ``incidents.entity_fields`` values of its group key, else of its
  matched event (:func:`~alerting.incidents.entities.alert_entities`);
- it joins the oldest incident not closed that shares one of them and whose latest alert is
  at most ``incidents.window`` older than this alert (the incident's entities then grow with
  the alert's, so a chain of alerts stays together);
- with no such incident it opens one whose id derives from the alert's id.

Idempotent: an alert already held by an incident is skipped, and the id of an incident an
alert opens is the same on every run, so a restart (or two runs racing) never makes a second
one. Alerts closed already, below ``incidents.min_severity`` or without any of the entity
fields are left for people to group.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from alerting.incidents.changes import (
    IncidentLimitError,
    add_alerts,
    default_title,
    incident_id_for,
    new_incident,
    update_incident,
)
from alerting.incidents.entities import alert_entities
from canhgac.config_incidents import IncidentsConfig
from canhgac.errors import StoreError
from canhgac.models import Alert, AlertStatus, Severity
from canhgac.store.incidents import Incident, IncidentStore
from canhgac.timeutil import from_iso, to_iso, utcnow

log = logging.getLogger(__name__)

#: The actor automatic grouping's changes are recorded under.
GROUPER = "canhgac"


@dataclass
class GroupingOutcome:
    """What one pass did: incident id -> alert ids it gained (opened ones included)."""

    opened: list[str] = field(default_factory=list)
    joined: dict[str, list[str]] = field(default_factory=dict)
    skipped: int = 0


def _missing() -> Exception:
    return StoreError("the incident vanished while grouping")


class IncidentGrouper:
    def __init__(
        self,
        incidents: IncidentStore,
        config: IncidentsConfig,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._incidents = incidents
        self._config = config
        self._clock = clock
        self._min_rank = list(Severity).index(Severity(config.min_severity))

    def _eligible(self, alert: Alert) -> bool:
        return (
            alert.status is not AlertStatus.closed
            and list(Severity).index(alert.severity) >= self._min_rank
        )

    def group(self, alerts: Sequence[Alert]) -> GroupingOutcome:
        outcome = GroupingOutcome()
        candidates = [a for a in alerts if self._eligible(a)]
        held = {
            alert_id
            for incident in self._incidents.incidents_with_alerts([a.id for a in candidates])
            for alert_id in incident.alert_ids
        }
        for alert in sorted(candidates, key=lambda a: (a.first_seen, a.id)):
            if alert.id in held:
                continue
            entities = alert_entities(alert, self._config.entity_fields)
            if not entities:  # nothing to share: left for people to group
                outcome.skipped += 1
                continue
            try:
                incident_id = self._place(alert, entities, outcome)
            except IncidentLimitError as exc:
                log.warning("alert %s not grouped: %s", alert.id, exc)
                outcome.skipped += 1
                continue
            outcome.joined.setdefault(incident_id, []).append(alert.id)
            held.add(alert.id)
        return outcome

    def _place(self, alert: Alert, entities: Sequence[str], outcome: GroupingOutcome) -> str:
        fields = self._config.entity_fields
        now = to_iso(self._clock())
        since = to_iso(from_iso(alert.first_seen) - self._config.window)
        target = self._target(entities, since)
        if target is not None:
            update_incident(
                self._incidents,
                target.id,
                lambda incident: add_alerts(incident, [alert], GROUPER, now, fields=fields),
                missing=_missing,
            )
            return target.id
        incident_id = incident_id_for(alert.id)
        incident = new_incident(
            incident_id,
            title=default_title([alert], entities),
            actor=GROUPER,
            at=now,
            alerts=[alert],
            auto_key=entities[0],
            fields=fields,
        )
        if self._incidents.create_incident(incident):
            outcome.opened.append(incident_id)
        else:  # made by an earlier, interrupted pass: make sure it holds the alert
            update_incident(
                self._incidents,
                incident_id,
                lambda stored: add_alerts(stored, [alert], GROUPER, now, fields=fields),
                missing=_missing,
            )
        return incident_id

    def _target(self, entities: Sequence[str], since: str) -> Incident | None:
        found = self._incidents.active_incidents_with_entities(entities, since)
        return min(found, key=lambda i: (i.created_at, i.id)) if found else None
