"""The request and response bodies of ``/api/v1/incidents``."""

from __future__ import annotations

from pydantic import BaseModel, Field

from alerting.incidents.changes import MAX_TITLE_CHARS
from alerting.triage.api.schemas import Body
from alerting.triage.incident_actions import MAX_ALERTS_PER_REQUEST, MAX_TASK_CHARS
from canhgac.models import Alert, Severity
from canhgac.store.incidents import Incident, IncidentStatus


class IncidentIn(Body):
    title: str = Field(
        default="", max_length=MAX_TITLE_CHARS, description="Empty: the first alert's rule"
    )
    alert_ids: list[str] = Field(default_factory=list, max_length=MAX_ALERTS_PER_REQUEST)
    severity: Severity | None = Field(default=None, description="None: the worst of the alerts")
    request_id: str | None = Field(
        default=None,
        min_length=8,
        max_length=100,
        description="Makes the call idempotent: sent again, it answers the incident it made",
    )


class AlertIdsBody(Body):
    alert_ids: list[str] = Field(min_length=1, max_length=MAX_ALERTS_PER_REQUEST)


class OwnerBody(Body):
    owner: str = Field(min_length=1, max_length=200)


class StatusBody(Body):
    status: IncidentStatus = Field(description="Not closed: closing takes a reason (/close)")


class SeverityBody(Body):
    severity: Severity


class TaskBody(Body):
    text: str = Field(min_length=1, max_length=MAX_TASK_CHARS)


class TaskStateBody(Body):
    done: bool


class EscalateBody(Body):
    channel: str = Field(
        min_length=1, max_length=200, description="A TheHive, DFIR-IRIS or Jira channel's name"
    )


class IncidentPage(BaseModel):
    items: list[Incident]
    page: int
    size: int


class IncidentTimelineEntry(BaseModel):
    at: str
    kind: str = Field(description="alert | action")
    actor: str
    action: str
    alert_id: str | None = None
    detail: dict[str, object] = Field(default_factory=dict)


class IncidentDetailOut(BaseModel):
    incident: Incident
    alerts: list[Alert] = Field(description="The first 200 alerts it holds")
    missing_alerts: int = Field(description="Held alert ids no longer in the store")
    timeline: list[IncidentTimelineEntry] = Field(description="Alerts and actions, oldest first")
    mtta_seconds: float | None = Field(description="Creation to first acknowledgement")
    mttr_seconds: float | None = Field(description="Creation to closing")
