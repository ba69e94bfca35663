"""The alert queue, the alert page and the actions posted from them.

Every post answers with a redirect (post/redirect/get), carrying a ``notice`` code the next
page shows translated; nothing from the request is echoed back into the page unescaped.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from alerting.triage.actions import BulkAction
from alerting.triage.alert_view import alert_detail
from alerting.triage.asset_view import alert_asset_rows, event_asset_rows
from alerting.triage.auth.principal import EXCEPTION_AUTHORS, READERS, TRIAGERS, Principal
from alerting.triage.context import TriageContext, triage_context
from alerting.triage.errors import NotFoundError, TriageError
from alerting.triage.incident_view import alert_incidents, pick_context
from alerting.triage.pivot import entity_url
from alerting.triage.queue import PAGE_SIZES, QueueQuery, local_input_value
from canhgac.models import AlertSort, AlertStatus, Severity
from canhgac.store.triage import CloseReason
from canhgac.timeutil import to_iso

router = APIRouter(include_in_schema=False)

_FORM_TEXT = Form(max_length=10_000)


def _queue_query(request: Request) -> tuple[QueueQuery, bool]:
    """The view the URL asks for, and whether its parameters had to be dropped as invalid."""
    try:
        return QueueQuery.model_validate(dict(request.query_params)), False
    except ValidationError:
        return QueueQuery(), True


def queue_context(ctx: TriageContext, query: QueueQuery, principal: Principal) -> dict[str, Any]:
    alert_filter = query.alert_filter()
    counts = ctx.store.count_alerts(alert_filter)
    total = counts[query.status] if query.status else sum(counts.values())
    return {
        "query": query,
        "alerts": ctx.store.list_alerts(alert_filter),
        "counts": counts,
        "total": total,
        "last_page": max(1, -(-total // query.size)),
        "refresh_url": f"/alerts/rows?{query.query_string()}",
        "assignees": [u for u in ctx.triage.list_users() if not u.disabled],
        "can_triage": principal.role in TRIAGERS.roles,
        "now": to_iso(ctx.clock()),
    } | pick_context(ctx.incidents.store if ctx.incidents else None)


def _form_choices() -> dict[str, Any]:
    return {
        "statuses": list(AlertStatus),
        "severities": list(Severity),
        "sorts": list(AlertSort),
        "page_sizes": PAGE_SIZES,
        "close_reasons": list(CloseReason),
        "bulk_actions": list(BulkAction),
        "local_input_value": local_input_value,
    }


@router.get("/alerts")
def queue_page(request: Request, principal: Annotated[Principal, Depends(READERS)]) -> Response:
    ctx = triage_context(request)
    query, invalid = _queue_query(request)
    context = queue_context(ctx, query, principal) | _form_choices()
    context |= {"invalid_filters": invalid, "notice": _notice(request), "bulk": _bulk(request)}
    return ctx.pages.render(request, "queue.html", context)


@router.get("/alerts/rows")
def queue_rows(request: Request, principal: Annotated[Principal, Depends(READERS)]) -> Response:
    """The queue's results alone, fetched by the page every 30 s with the same filters."""
    ctx = triage_context(request)
    query, _invalid = _queue_query(request)
    context = queue_context(ctx, query, principal) | _form_choices()
    return ctx.pages.render(request, "queue_results.html", context)


@router.get("/alerts/{alert_id}")
def alert_page(
    request: Request, alert_id: str, principal: Annotated[Principal, Depends(READERS)]
) -> Response:
    ctx = triage_context(request)
    alert = ctx.store.get_alert(alert_id)
    if alert is None:
        raise NotFoundError(f"no alert {alert_id!r}")
    detail = alert_detail(ctx.store, ctx.triage, alert, ctx.clock())
    assets = ctx.assets()
    context = {
        "detail": detail,
        "alert": alert,
        # asset context (h23): the current inventory's view of the alert's hosts and addresses
        "asset_rows": alert_asset_rows(assets, alert),
        # ... and of each matched event's own (as GET /api/v1/alerts/{id}/details has it)
        "event_asset_rows": {e.id: event_asset_rows(assets, e.fields) for e in detail.raw_events},
        "row_url": lambda row: entity_url(row.pivot, row.value),
        "assignees": [u for u in ctx.triage.list_users() if not u.disabled],
        "notice": _notice(request),
        "can_triage": principal.role in TRIAGERS.roles,
        "can_write_exceptions": principal.role in EXCEPTION_AUTHORS.roles,
    } | _form_choices()
    context |= alert_incidents(ctx.incidents.store if ctx.incidents else None, alert.id)
    return ctx.pages.render(request, "alert.html", context)


def _notice(request: Request) -> str | None:
    code = request.query_params.get("notice")
    return code if code and code.isidentifier() and len(code) < 40 else None


def _bulk(request: Request) -> dict[str, int] | None:
    if request.query_params.get("notice") != "done_bulk":
        return None
    try:
        return {k: int(request.query_params.get(k, "0")) for k in ("done", "skipped")}
    except ValueError:
        return None


def _back_to_alert(alert_id: str, notice: str) -> Response:
    return RedirectResponse(f"/alerts/{alert_id}?{urlencode({'notice': notice})}", 303)


def _act(alert_id: str, done: str, action: Any, *args: Any) -> Response:
    try:
        action(*args)
    except NotFoundError:
        raise
    except TriageError as exc:
        return _back_to_alert(alert_id, exc.code)
    return _back_to_alert(alert_id, done)


@router.post("/alerts/{alert_id}/acknowledge")
def acknowledge(
    request: Request, alert_id: str, who: Annotated[Principal, Depends(TRIAGERS)]
) -> Response:
    actions = triage_context(request).actions
    return _act(alert_id, "done_acknowledge", actions.acknowledge, who.username, alert_id)


@router.post("/alerts/{alert_id}/assign")
def assign(
    request: Request,
    alert_id: str,
    who: Annotated[Principal, Depends(TRIAGERS)],
    assignee: Annotated[str, Form(max_length=200)],
) -> Response:
    actions = triage_context(request).actions
    return _act(alert_id, "done_assign", actions.assign, who.username, alert_id, assignee)


@router.post("/alerts/{alert_id}/comment")
def comment(
    request: Request,
    alert_id: str,
    who: Annotated[Principal, Depends(TRIAGERS)],
    text: Annotated[str, _FORM_TEXT] = "",
) -> Response:
    actions = triage_context(request).actions
    return _act(alert_id, "done_comment", actions.comment, who.username, alert_id, text)


@router.post("/alerts/{alert_id}/close")
def close(
    request: Request,
    alert_id: str,
    who: Annotated[Principal, Depends(TRIAGERS)],
    reason: Annotated[CloseReason, Form()],
    comment: Annotated[str, _FORM_TEXT] = "",
) -> Response:
    actions = triage_context(request).actions
    note = comment or None
    return _act(alert_id, "done_close", actions.close, who.username, alert_id, reason, note)


@router.post("/alerts/{alert_id}/reopen")
def reopen(
    request: Request,
    alert_id: str,
    who: Annotated[Principal, Depends(TRIAGERS)],
    comment: Annotated[str, _FORM_TEXT] = "",
) -> Response:
    actions = triage_context(request).actions
    return _act(alert_id, "done_reopen", actions.reopen, who.username, alert_id, comment or None)


@router.post("/alerts/bulk")
def bulk(
    request: Request,
    who: Annotated[Principal, Depends(TRIAGERS)],
    action: Annotated[BulkAction, Form()],
    ids: Annotated[list[str] | None, Form()] = None,
    assignee: Annotated[str, Form(max_length=200)] = "",
    reason: Annotated[CloseReason | None, Form()] = None,
    back: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    ctx = triage_context(request)
    try:
        view = QueueQuery.model_validate(dict(_params(back)))
    except ValidationError:
        view = QueueQuery()
    try:
        outcome = ctx.actions.bulk(
            who.username, ids or [], action, assignee=assignee or None, reason=reason
        )
    except TriageError as exc:
        return RedirectResponse(f"/alerts?{view.query_string(notice=exc.code)}", 303)
    params = view.query_string(
        notice="done_bulk", done=len(outcome.done), skipped=len(outcome.skipped)
    )
    return RedirectResponse(f"/alerts?{params}", 303)


def _params(query_string: str) -> list[tuple[str, str]]:
    return parse_qsl(query_string, keep_blank_values=False)[:50]
