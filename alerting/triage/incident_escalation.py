"""Escalating an incident to case management: the configured TheHive, DFIR-IRIS or Jira
channel (``alerting.channels``) receives the incident as one alert-shaped record.

The incident goes through the channel's own code (payload, escaping, auth, "already exists"
as delivered), so escalating is exactly as safe as notifying: its id is the record's source
reference (TheHive and DFIR-IRIS refuse a second one with it, so escalating twice creates
one case), its title, severity and shared entities become the record's, and its link leads
to the incident page. The send happens in the request, once; a failure is shown, and the
analyst may try again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from alerting.incidents.entities import split_entity
from alerting.notify.channel import Channel
from alerting.notify.message import AlertLinks
from alerting.notify.registry import CHANNELS
from alerting.triage.errors import InvalidInputError, TriageError
from alerting.triage.incident_actions import IncidentActions
from canhgac.config import Settings
from canhgac.errors import NotificationError
from canhgac.models import Alert
from canhgac.store.incidents import Incident

#: The channel types that are case management (alerting.notify.cases).
CASE_CHANNEL_TYPES = frozenset({"thehive", "dfir_iris", "jira"})


class EscalationFailedError(TriageError):
    status = 502
    code = "escalation_failed"


@dataclass(frozen=True, slots=True)
class IncidentLinks(AlertLinks):
    """Links to the incident page instead of an alert page."""

    def alert(self, alert_id: str) -> str | None:
        if not self.public_url:
            return None
        return f"{self.public_url.rstrip('/')}/incidents/{quote(alert_id, safe='')}"


def incident_record(incident: Incident) -> Alert:
    """The incident in the shape a channel sends: one record with its entities as context."""
    context: dict[str, str] = {}
    for key in incident.entities:
        field, value = split_entity(key)
        context.setdefault(field, value)
    summary = f"{len(incident.alert_ids)} alerts; " + ", ".join(incident.entities[:20])
    return Alert(
        id=incident.id,
        rule_id="incident",
        rule_title=incident.title,
        rule_description=summary,
        severity=incident.severity,
        tags=["incident", f"incident-status:{incident.status.value}"],
        first_seen=incident.created_at,
        last_seen=incident.last_alert_at or incident.updated_at,
        count=max(1, len(incident.alert_ids)),
        snapshot=context,
        created_at=incident.created_at,
        updated_at=incident.updated_at,
    )


class IncidentEscalation:
    def __init__(self, channels: Mapping[str, Channel]) -> None:
        self._channels = dict(channels)

    @classmethod
    def from_settings(cls, settings: Settings) -> IncidentEscalation:
        links = IncidentLinks(settings.web.public_url)
        return cls(
            {
                config.name: CHANNELS.get(config.type)(config, links)
                for config in settings.alerting.channels
                if config.type in CASE_CHANNEL_TYPES
            }
        )

    @property
    def channel_names(self) -> list[str]:
        return sorted(self._channels)

    def escalate(
        self, actions: IncidentActions, actor: str, incident_id: str, channel_name: str
    ) -> Incident:
        channel = self._channels.get(channel_name)
        if channel is None:
            raise InvalidInputError(f"no case channel {channel_name!r}", code="unknown_channel")
        incident = actions.get(incident_id)
        try:
            channel.send(incident_record(incident))
        except NotificationError as exc:
            raise EscalationFailedError(f"{channel_name}: {exc}") from exc
        return actions.record_escalation(actor, incident_id, channel_name)
