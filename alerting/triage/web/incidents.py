"""The incident list, the incident page and the forms posted from them, the queue and the
alert page ("create incident", "add to incident").

Posts answer with a redirect (post/redirect/get) carrying a ``notice`` code, like the alert
pages; nothing from the request is echoed into a page unescaped.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from alerting.triage.api.incidents import IncidentQuery
from alerting.triage.auth.principal import READERS, TRIAGERS, Principal
from alerting.triage.context import triage_context
from alerting.triage.errors import NotFoundError, TriageError
from alerting.triage.incident_actions import IncidentActions
from alerting.triage.incident_view import incident_detail, response_times
from alerting.triage.web.overview import duration
from canhgac.models import Severity
from canhgac.store.incidents import Incident, IncidentSort, IncidentStatus
from canhgac.store.triage import CloseReason

router = APIRouter(include_in_schema=False)

_TEXT = Form(max_length=10_000)
_LINE = Form(max_length=500)
Reader = Annotated[Principal, Depends(READERS)]
Triager = Annotated[Principal, Depends(TRIAGERS)]


def _actions(request: Request) -> IncidentActions:
    actions = triage_context(request).incidents
    if actions is None:
        raise NotFoundError("this store keeps no incidents")
    return actions


Actions = Annotated[IncidentActions, Depends(_actions)]


def _notice(request: Request) -> str | None:
    code = request.query_params.get("notice")
    return code if code and code.isidentifier() and len(code) < 40 else None


def _choices() -> dict[str, Any]:
    return {
        "incident_statuses": list(IncidentStatus),
        "severities": list(Severity),
        "close_reasons": list(CloseReason),
        "incident_sorts": list(IncidentSort),
        "duration": duration,
    }


def _to_incident(incident_id: str, notice: str) -> Response:
    return RedirectResponse(f"/incidents/{incident_id}?{urlencode({'notice': notice})}", 303)


def _act(incident_id: str, done: str, action: Callable[[], object]) -> Response:
    try:
        action()
    except NotFoundError:
        raise
    except TriageError as exc:
        return _to_incident(incident_id, exc.code)
    return _to_incident(incident_id, done)


# --- pages ------------------------------------------------------------------------------------
@router.get("/incidents")
def incidents_page(request: Request, actions: Actions, principal: Reader) -> Response:
    ctx = triage_context(request)
    try:
        query, invalid = IncidentQuery.model_validate(dict(request.query_params)), False
    except ValidationError:
        query, invalid = IncidentQuery(), True
    incidents = actions.store.list_incidents(query.incident_filter())
    context = {
        "query": query,
        "query_string": lambda **change: _query_string(query, **change),
        "incidents": incidents,
        "response_times": {i.id: response_times(i) for i in incidents},
        "invalid_filters": invalid,
        "notice": _notice(request),
        "can_triage": principal.role in TRIAGERS.roles,
        "owners": [u for u in ctx.triage.list_users() if not u.disabled],
        "incident_request_id": secrets.token_hex(12),
    } | _choices()
    return ctx.pages.render(request, "incidents.html", context)


def _query_string(query: IncidentQuery, **change: Any) -> str:
    values = query.model_dump(mode="json") | change
    defaults = IncidentQuery().model_dump(mode="json")
    return urlencode({k: v for k, v in values.items() if v not in (None, "") and v != defaults[k]})


@router.get("/incidents/{incident_id}")
def incident_page(
    request: Request, incident_id: str, actions: Actions, principal: Reader
) -> Response:
    ctx = triage_context(request)
    detail = incident_detail(actions.get(incident_id), ctx.store)
    context = {
        "detail": detail,
        "incident": detail.incident,
        "notice": _notice(request),
        "can_triage": principal.role in TRIAGERS.roles,
        "owners": [u for u in ctx.triage.list_users() if not u.disabled],
        "case_channels": ctx.escalation.channel_names,
    } | _choices()
    return ctx.pages.render(request, "incident.html", context)


# --- grouping alerts (from the queue, the alert page, the incident list) ----------------------
@router.post("/incidents")
def create(
    actions: Actions,
    who: Triager,
    title: Annotated[str, _LINE] = "",
    severity: Annotated[Severity | None, Form()] = None,
    ids: Annotated[list[str] | None, Form()] = None,
    back: Annotated[str, Form(max_length=4000)] = "",
    request_id: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """A new incident, holding the alerts selected (``ids``), if any. The form's random
    ``request_id`` makes a double submit open one incident."""
    try:
        incident = actions.create(
            who.username, title, ids or [], severity=severity, request_id=request_id or None
        )
    except NotFoundError:
        raise
    except TriageError as exc:
        return _back(back, exc.code)
    return _to_incident(incident.id, "done_incident_create")


@router.post("/incidents/add-alerts")
def add_alerts(
    actions: Actions,
    who: Triager,
    incident_id: Annotated[str, Form(max_length=200)] = "",
    ids: Annotated[list[str] | None, Form()] = None,
    back: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    if not incident_id:
        return _back(back, "no_incident")
    try:
        incident: Incident = actions.add_alerts(who.username, incident_id, ids or [])
    except NotFoundError:
        raise
    except TriageError as exc:
        return _back(back, exc.code)
    return _to_incident(incident.id, "done_incident_add_alerts")


def _back(back: str, notice: str) -> Response:
    """Back to the page a grouping form was posted from: an alert page (``/alerts/<id>``),
    the queue (``back`` is then its query string, the bulk form's own field) or, with no
    ``back``, the incident list. Only those: ``back`` never leads off the site."""
    if not back:
        return RedirectResponse(f"/incidents?{urlencode({'notice': notice})}", 303)
    if back.startswith("/alerts/") and not any(c in back for c in "?#\\") and "//" not in back:
        return RedirectResponse(f"{back}?{urlencode({'notice': notice})}", 303)
    params = [(k, v) for k, v in parse_qsl(back)[:50] if k != "notice"]
    return RedirectResponse(f"/alerts?{urlencode([*params, ('notice', notice)])}", 303)


# --- the incident page's forms ----------------------------------------------------------------
@router.post("/incidents/{incident_id}/assign")
def assign(
    incident_id: str, actions: Actions, who: Triager, owner: Annotated[str, Form(max_length=200)]
) -> Response:
    return _act(
        incident_id,
        "done_incident_assign",
        lambda: actions.assign(who.username, incident_id, owner),
    )


@router.post("/incidents/{incident_id}/status")
def set_status(
    incident_id: str,
    actions: Actions,
    who: Triager,
    status: Annotated[IncidentStatus, Form()],
) -> Response:
    return _act(
        incident_id,
        "done_incident_status",
        lambda: actions.set_status(who.username, incident_id, status),
    )


@router.post("/incidents/{incident_id}/severity")
def set_severity(
    incident_id: str, actions: Actions, who: Triager, severity: Annotated[Severity, Form()]
) -> Response:
    return _act(
        incident_id,
        "done_incident_severity",
        lambda: actions.set_severity(who.username, incident_id, severity),
    )


@router.post("/incidents/{incident_id}/comment")
def comment(
    incident_id: str, actions: Actions, who: Triager, text: Annotated[str, _TEXT] = ""
) -> Response:
    return _act(
        incident_id, "done_comment", lambda: actions.comment(who.username, incident_id, text)
    )


@router.post("/incidents/{incident_id}/tasks")
def add_task(
    incident_id: str, actions: Actions, who: Triager, text: Annotated[str, _LINE] = ""
) -> Response:
    return _act(
        incident_id,
        "done_incident_task",
        lambda: actions.add_task(who.username, incident_id, text),
    )


@router.post("/incidents/{incident_id}/tasks/{task_id}")
def set_task(
    incident_id: str,
    task_id: str,
    actions: Actions,
    who: Triager,
    done: Annotated[bool, Form()] = False,
) -> Response:
    return _act(
        incident_id,
        "done_incident_task",
        lambda: actions.set_task(who.username, incident_id, task_id, done),
    )


@router.post("/incidents/{incident_id}/close")
def close(
    incident_id: str,
    actions: Actions,
    who: Triager,
    reason: Annotated[CloseReason, Form()],
    comment: Annotated[str, _TEXT] = "",
) -> Response:
    return _act(
        incident_id,
        "done_incident_close",
        lambda: actions.close(who.username, incident_id, reason, comment or None),
    )


@router.post("/incidents/{incident_id}/escalate")
def escalate(
    request: Request,
    incident_id: str,
    actions: Actions,
    who: Triager,
    channel: Annotated[str, Form(max_length=200)],
) -> Response:
    escalation = triage_context(request).escalation
    return _act(
        incident_id,
        "done_incident_escalate",
        lambda: escalation.escalate(actions, who.username, incident_id, channel),
    )


@router.post("/incidents/{incident_id}/reopen")
def reopen(incident_id: str, actions: Actions, who: Triager) -> Response:
    return _act(
        incident_id, "done_incident_reopen", lambda: actions.reopen(who.username, incident_id)
    )
