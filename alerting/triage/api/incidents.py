"""``/api/v1/incidents``: the incident list, one incident with its timeline, and the actions.

Readers (analysts, rule authors) read; analysts act, as on alerts. Every action answers the
incident as stored after it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from alerting.triage.api.incident_schemas import (
    AlertIdsBody,
    EscalateBody,
    IncidentDetailOut,
    IncidentIn,
    IncidentPage,
    IncidentTimelineEntry,
    OwnerBody,
    SeverityBody,
    StatusBody,
    TaskBody,
    TaskStateBody,
)
from alerting.triage.api.schemas import CloseBody, CommentBody
from alerting.triage.auth.principal import READERS, TRIAGERS, Principal
from alerting.triage.context import triage_context
from alerting.triage.errors import API_ERROR_RESPONSES, NotFoundError
from alerting.triage.incident_actions import IncidentActions
from alerting.triage.incident_view import incident_detail
from canhgac.models import Severity
from canhgac.store.incidents import Incident, IncidentFilter, IncidentSort, IncidentStatus

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"], responses=API_ERROR_RESPONSES)

IncidentId = Annotated[str, Path(min_length=1, max_length=200)]
TaskId = Annotated[str, Path(min_length=1, max_length=100)]
Reader = Annotated[Principal, Depends(READERS)]
Triager = Annotated[Principal, Depends(TRIAGERS)]


def incident_actions(request: Request) -> IncidentActions:
    actions = triage_context(request).incidents
    if actions is None:
        raise NotFoundError("this store keeps no incidents")
    return actions


Actions = Annotated[IncidentActions, Depends(incident_actions)]


class IncidentQuery(BaseModel):
    """The list's filters, sort and page."""

    model_config = ConfigDict(extra="forbid")

    status: IncidentStatus | None = None
    active: bool = Field(default=False, description="Only incidents not closed")
    owner: str | None = Field(default=None, max_length=200)
    severity: Severity | None = None
    sort: IncidentSort = IncidentSort.updated
    page: int = Field(default=1, ge=1, le=1000)
    size: int = Field(default=50, ge=1, le=200)

    def incident_filter(self) -> IncidentFilter:
        return IncidentFilter(
            status=self.status,
            active=self.active,
            owner=self.owner or None,
            severity=self.severity,
            sort=self.sort,
            limit=self.size,
            offset=min((self.page - 1) * self.size, 9000),
        )


@router.get("", summary="Incidents, filtered and sorted")
def list_incidents(
    actions: Actions, _: Reader, query: Annotated[IncidentQuery, Query()]
) -> IncidentPage:
    items = actions.store.list_incidents(query.incident_filter())
    return IncidentPage(items=items, page=query.page, size=query.size)


@router.post("", status_code=201, summary="Open an incident (from alerts)")
def create_incident(actions: Actions, who: Triager, body: IncidentIn) -> Incident:
    return actions.create(
        who.username,
        body.title,
        body.alert_ids,
        severity=body.severity,
        request_id=body.request_id,
    )


@router.get("/{incident_id}", summary="One incident")
def get_incident(actions: Actions, _: Reader, incident_id: IncidentId) -> Incident:
    return actions.get(incident_id)


@router.get("/{incident_id}/details", summary="One incident with alerts, timeline, MTTA/MTTR")
def get_incident_details(
    request: Request, actions: Actions, _: Reader, incident_id: IncidentId
) -> IncidentDetailOut:
    detail = incident_detail(actions.get(incident_id), triage_context(request).store)
    return IncidentDetailOut(
        incident=detail.incident,
        alerts=detail.alerts,
        missing_alerts=detail.missing_alerts,
        timeline=[
            IncidentTimelineEntry(
                at=e.at,
                kind=e.kind,
                actor=e.actor,
                action=e.action,
                alert_id=e.alert.id if e.alert else None,
                detail=e.detail,
            )
            for e in detail.timeline
        ],
        mtta_seconds=detail.mtta_seconds,
        mttr_seconds=detail.mttr_seconds,
    )


@router.post("/{incident_id}/alerts", summary="Add alerts to an incident")
def add_alerts(
    actions: Actions, who: Triager, incident_id: IncidentId, body: AlertIdsBody
) -> Incident:
    return actions.add_alerts(who.username, incident_id, body.alert_ids)


@router.post("/{incident_id}/assign", summary="Give an incident an owner")
def assign(actions: Actions, who: Triager, incident_id: IncidentId, body: OwnerBody) -> Incident:
    return actions.assign(who.username, incident_id, body.owner)


@router.post("/{incident_id}/status", summary="Move an incident on (open, investigating, ...)")
def set_status(
    actions: Actions, who: Triager, incident_id: IncidentId, body: StatusBody
) -> Incident:
    return actions.set_status(who.username, incident_id, body.status)


@router.post("/{incident_id}/severity", summary="Change an incident's severity")
def set_severity(
    actions: Actions, who: Triager, incident_id: IncidentId, body: SeverityBody
) -> Incident:
    return actions.set_severity(who.username, incident_id, body.severity)


@router.post("/{incident_id}/comments", status_code=201, summary="Comment on an incident")
def comment(actions: Actions, who: Triager, incident_id: IncidentId, body: CommentBody) -> Incident:
    return actions.comment(who.username, incident_id, body.text)


@router.post("/{incident_id}/tasks", status_code=201, summary="Add a task to the checklist")
def add_task(actions: Actions, who: Triager, incident_id: IncidentId, body: TaskBody) -> Incident:
    return actions.add_task(who.username, incident_id, body.text)


@router.post("/{incident_id}/tasks/{task_id}", summary="Tick or untick a task")
def set_task(
    actions: Actions,
    who: Triager,
    incident_id: IncidentId,
    task_id: TaskId,
    body: TaskStateBody,
) -> Incident:
    return actions.set_task(who.username, incident_id, task_id, body.done)


@router.post("/{incident_id}/close", summary="Close an incident with a reason")
def close(actions: Actions, who: Triager, incident_id: IncidentId, body: CloseBody) -> Incident:
    return actions.close(who.username, incident_id, body.reason, body.comment)


@router.post("/{incident_id}/escalate", summary="Send to a case-management channel")
def escalate(
    request: Request, actions: Actions, who: Triager, incident_id: IncidentId, body: EscalateBody
) -> Incident:
    escalation = triage_context(request).escalation
    return escalation.escalate(actions, who.username, incident_id, body.channel)


@router.post("/{incident_id}/reopen", summary="Reopen a closed incident")
def reopen(actions: Actions, who: Triager, incident_id: IncidentId) -> Incident:
    return actions.reopen(who.username, incident_id)
