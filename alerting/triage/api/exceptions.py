"""``/api/v1/alerts/{id}/exception``: draft an exception from an alert, preview it, save it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field

from alerting.detect.suppressions import ImpactReport
from alerting.triage.auth.principal import EXCEPTION_AUTHORS, TRIAGERS, Principal
from alerting.triage.context import TriageContext, triage_context
from alerting.triage.errors import API_ERROR_RESPONSES, ForbiddenError
from alerting.triage.exception_draft import ExceptionDraft, candidate_fields
from canhgac.models import Alert

router = APIRouter(
    prefix="/api/v1/alerts/{alert_id}/exception", tags=["exceptions"], responses=API_ERROR_RESPONSES
)

AlertId = Annotated[str, Path(min_length=1, max_length=200)]
Author = Annotated[Principal, Depends(EXCEPTION_AUTHORS)]


def _ctx(request: Request) -> TriageContext:
    return triage_context(request)


Context = Annotated[TriageContext, Depends(_ctx)]


class DraftOut(BaseModel):
    """The pre-filled draft (``reason`` is left for the author) and every field it may match."""

    id: str
    rules: list[str]
    owner: str
    reason: str
    expires: str
    match: dict[str, str]
    days: int
    fields: dict[str, str] = Field(description="The alert's fields an exception may match on")


class RuleImpactOut(BaseModel):
    rule_id: str
    title: str
    alerts: int = Field(description="The rule's alerts in the period")
    suppressed: int = Field(description="Alerts all of whose events the exception matches")
    reduced: int = Field(description="Alerts some of whose events it matches")
    events_excluded: int


class ImpactOut(BaseModel):
    exception_id: str
    since: str
    suppressed: int
    rules: list[RuleImpactOut]

    @classmethod
    def of(cls, report: ImpactReport) -> ImpactOut:
        return cls(
            exception_id=report.suppression_id,
            since=report.since,
            suppressed=report.suppressed,
            rules=[RuleImpactOut.model_validate(r, from_attributes=True) for r in report.rules],
        )


class ExceptionIn(ExceptionDraft):
    close: bool = Field(
        default=False, description="Also close the alert as a false positive (analysts' role)"
    )


class ExceptionCreated(BaseModel):
    file: str = Field(description="The exception file's name under rules/exceptions")
    impact: ImpactOut
    alert: Alert | None = Field(description="The closed alert, if it was closed")


@router.get("/draft", summary="An exception pre-filled from the alert")
def draft(ctx: Context, who: Author, alert_id: AlertId) -> DraftOut:
    alert = ctx.exceptions.alert(alert_id)
    pre = ctx.exceptions.draft(alert, who.display_name or who.username)
    return DraftOut(
        id=pre.id,
        rules=pre.rules,
        owner=pre.owner,
        reason=pre.reason,
        expires=pre.expires.isoformat(),
        match=pre.match,
        days=pre.days,
        fields=candidate_fields(alert),
    )


@router.post("/preview", summary="How many recent alerts the exception would have suppressed")
def preview(ctx: Context, _: Author, alert_id: AlertId, body: ExceptionDraft) -> ImpactOut:
    ctx.exceptions.alert(alert_id)
    return ImpactOut.of(ctx.exceptions.preview(body))


@router.post("", status_code=201, summary="Save the exception (and maybe close the alert)")
def create(ctx: Context, who: Author, alert_id: AlertId, body: ExceptionIn) -> ExceptionCreated:
    if body.close and who.role not in TRIAGERS.roles:
        raise ForbiddenError(f"the role {who.role.value} may not close alerts")
    alert = ctx.exceptions.alert(alert_id)
    draft_fields = ExceptionDraft.model_validate(body.model_dump(exclude={"close"}))
    saved = ctx.exceptions.save(who.username, alert, draft_fields, close=body.close)
    return ExceptionCreated(
        file=saved.path.name, impact=ImpactOut.of(saved.impact), alert=saved.closed
    )
