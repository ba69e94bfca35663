"""``/api/v1/alerts``: the queue, one alert with its context, and the triage actions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, Request

from alerting.triage.alert_view import alert_detail
from alerting.triage.api.schemas import (
    AlertDetailOut,
    AlertOut,
    AlertPage,
    AssignBody,
    BulkBody,
    BulkResult,
    CloseBody,
    CommentBody,
    ContextOut,
    EventOut,
    ReopenBody,
    TimelineEntry,
)
from alerting.triage.asset_view import alert_asset_rows, event_asset_rows
from alerting.triage.auth.principal import READERS, TRIAGERS, Principal
from alerting.triage.context import TriageContext, triage_context
from alerting.triage.errors import API_ERROR_RESPONSES, NotFoundError
from alerting.triage.queue import QueueQuery
from canhgac.models import Alert
from canhgac.store.triage import Comment, StatusChange

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"], responses=API_ERROR_RESPONSES)

AlertId = Annotated[str, Path(min_length=1, max_length=200)]
Reader = Annotated[Principal, Depends(READERS)]
Triager = Annotated[Principal, Depends(TRIAGERS)]


def _ctx(request: Request) -> TriageContext:
    return triage_context(request)


Context = Annotated[TriageContext, Depends(_ctx)]


def _alert(ctx: TriageContext, alert_id: str) -> Alert:
    alert = ctx.store.get_alert(alert_id)
    if alert is None:
        raise NotFoundError(f"no alert {alert_id!r}")
    return alert


@router.get("", summary="The alert queue")
def list_alerts(ctx: Context, _: Reader, query: Annotated[QueueQuery, Query()]) -> AlertPage:
    alert_filter = query.alert_filter()
    counts = ctx.store.count_alerts(alert_filter)
    total = counts[query.status] if query.status else sum(counts.values())
    index = ctx.assets()
    return AlertPage(
        items=[
            AlertOut.of(alert, alert_asset_rows(index, alert))
            for alert in ctx.store.list_alerts(alert_filter)
        ],
        total=total,
        counts=counts,
        page=query.page,
        size=query.size,
    )


@router.get("/{alert_id}", summary="One alert, with its city context")
def get_alert(ctx: Context, _: Reader, alert_id: AlertId) -> AlertOut:
    return _with_context(ctx, _alert(ctx, alert_id))


def _with_context(ctx: TriageContext, alert: Alert) -> AlertOut:
    return AlertOut.of(alert, alert_asset_rows(ctx.assets(), alert))


@router.get("/{alert_id}/details", summary="One alert with events, timeline and history")
def get_alert_details(ctx: Context, _: Reader, alert_id: AlertId) -> AlertDetailOut:
    detail = alert_detail(ctx.store, ctx.triage, _alert(ctx, alert_id), ctx.clock())
    index = ctx.assets()
    return AlertDetailOut(
        alert=_with_context(ctx, detail.alert),
        events=[
            EventOut(
                id=view.id,
                fields=event.fields,
                highlighted=[f.name for f in view.fields if f.highlighted],
                context=[ContextOut.of(row) for row in event_asset_rows(index, event.fields)],
            )
            for view, event in zip(detail.events, detail.raw_events, strict=True)
        ],
        missing_events=detail.missing_events,
        timeline=[
            TimelineEntry.model_validate(item, from_attributes=True) for item in detail.timeline
        ],
        timeline_truncated=detail.timeline_truncated,
        history=detail.history,
        comments=detail.comments,
        notifications=detail.notifications,
    )


@router.get("/{alert_id}/comments", summary="An alert's comments, oldest first")
def list_comments(ctx: Context, _: Reader, alert_id: AlertId) -> list[Comment]:
    return ctx.triage.list_comments(_alert(ctx, alert_id).id)


@router.get("/{alert_id}/history", summary="An alert's status changes, oldest first")
def list_history(ctx: Context, _: Reader, alert_id: AlertId) -> list[StatusChange]:
    return ctx.triage.list_status_changes(_alert(ctx, alert_id).id)


@router.post("/bulk", summary="One action on many alerts")
def bulk(ctx: Context, who: Triager, body: BulkBody) -> BulkResult:
    outcome = ctx.actions.bulk(
        who.username,
        body.ids,
        body.action,
        assignee=body.assignee,
        reason=body.reason,
        comment=body.comment,
    )
    return BulkResult(done=outcome.done, skipped=outcome.skipped)


@router.post("/{alert_id}/acknowledge", summary="Acknowledge a new alert")
def acknowledge(ctx: Context, who: Triager, alert_id: AlertId) -> Alert:
    return ctx.actions.acknowledge(who.username, alert_id)


@router.post("/{alert_id}/assign", summary="Assign an alert (notifies through the channel)")
def assign(ctx: Context, who: Triager, alert_id: AlertId, body: AssignBody) -> Alert:
    return ctx.actions.assign(who.username, alert_id, body.assignee)


@router.post("/{alert_id}/comments", status_code=201, summary="Comment on an alert")
def add_comment(ctx: Context, who: Triager, alert_id: AlertId, body: CommentBody) -> Comment:
    return ctx.actions.comment(who.username, alert_id, body.text)


@router.post("/{alert_id}/close", summary="Close an alert with a reason")
def close(ctx: Context, who: Triager, alert_id: AlertId, body: CloseBody) -> Alert:
    return ctx.actions.close(who.username, alert_id, body.reason, body.comment)


@router.post("/{alert_id}/reopen", summary="Reopen a closed alert")
def reopen(
    ctx: Context,
    who: Triager,
    alert_id: AlertId,
    body: Annotated[ReopenBody | None, Body()] = None,
) -> Alert:
    return ctx.actions.reopen(who.username, alert_id, body.comment if body else None)
