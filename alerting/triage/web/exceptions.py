""" "Create exception from this alert": the pre-filled form, its impact preview, saving it.

The save button appears only with a preview, and the form carries a fingerprint of what was
previewed: a draft changed after its preview is shown again with its new impact instead of
being saved unseen.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from alerting.detect.suppressions import ImpactReport
from alerting.triage.auth.principal import EXCEPTION_AUTHORS, TRIAGERS, Principal
from alerting.triage.context import triage_context
from alerting.triage.errors import ForbiddenError, InvalidInputError, TriageError
from alerting.triage.exception_draft import ExceptionDraft, candidate_fields
from canhgac.models import Alert, AlertStatus

router = APIRouter(include_in_schema=False)
Author = Annotated[Principal, Depends(EXCEPTION_AUTHORS)]
VALUE_PREFIX = "value:"


def _owner(principal: Principal) -> str:
    return principal.display_name or principal.username


def fingerprint(draft: ExceptionDraft) -> str:
    return hashlib.sha256(draft.model_dump_json().encode()).hexdigest()


def _draft_from_form(form: FormData) -> ExceptionDraft:
    fields = [str(f) for f in form.getlist("field")]

    def text(name: str) -> str:
        value = form.get(name, "")
        return value if isinstance(value, str) else ""

    try:
        expires = date.fromisoformat(text("expires"))
        days = int(text("days") or 0)
    except ValueError:
        raise InvalidInputError("the expiry date or the period is not valid") from None
    return ExceptionDraft(
        id=text("id").strip(),
        rules=text("rules").replace("\n", ",").split(","),
        owner=text("owner"),
        reason=text("reason"),
        expires=expires,
        match={f: text(VALUE_PREFIX + f) for f in dict.fromkeys(fields)},
        days=days,
    )


def _page(
    request: Request,
    principal: Principal,
    alert: Alert,
    draft: ExceptionDraft,
    *,
    impact: ImpactReport | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    ctx = triage_context(request)
    context: dict[str, Any] = {
        "alert": alert,
        "draft": draft,
        "candidates": candidate_fields(alert) | draft.match,
        "impact": impact,
        "fingerprint": fingerprint(draft) if impact is not None else "",
        "error": error,
        "can_close": principal.role in TRIAGERS.roles and alert.status is not AlertStatus.closed,
        "value_prefix": VALUE_PREFIX,
    }
    return ctx.pages.render(request, "exception.html", context, status=status)


@router.get("/alerts/{alert_id}/exception")
def exception_form(request: Request, alert_id: str, principal: Author) -> Response:
    service = triage_context(request).exceptions
    alert = service.alert(alert_id)
    return _page(request, principal, alert, service.draft(alert, _owner(principal)))


async def _submitted(request: Request) -> tuple[ExceptionDraft | None, str | None]:
    form = await request.form()
    try:
        return _draft_from_form(form), None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return None, f"{where}: {first['msg']}"
    except TriageError as exc:
        return None, exc.code


@router.post("/alerts/{alert_id}/exception/preview")
async def exception_preview(request: Request, alert_id: str, principal: Author) -> Response:
    service = triage_context(request).exceptions
    alert = service.alert(alert_id)
    draft, error = await _submitted(request)
    if draft is None:
        fallback = service.draft(alert, _owner(principal))
        return _page(request, principal, alert, fallback, error=error, status=422)
    try:
        impact = service.preview(draft)
    except TriageError as exc:
        return _page(request, principal, alert, draft, error=exc.code, status=exc.status)
    return _page(request, principal, alert, draft, impact=impact)


@router.post("/alerts/{alert_id}/exception")
async def exception_save(request: Request, alert_id: str, principal: Author) -> Response:
    ctx = triage_context(request)
    service = ctx.exceptions
    alert = service.alert(alert_id)
    draft, error = await _submitted(request)
    if draft is None:
        fallback = service.draft(alert, _owner(principal))
        return _page(request, principal, alert, fallback, error=error, status=422)
    form = await request.form()
    close = form.get("close") == "1"
    if close and principal.role not in TRIAGERS.roles:
        raise ForbiddenError(f"the role {principal.role.value} may not close alerts")
    try:
        if form.get("fingerprint") != fingerprint(draft):
            impact = service.preview(draft)
            return _page(request, principal, alert, draft, impact=impact, error="exception_changed")
        saved = service.save(principal.username, alert, draft, close=close)
    except TriageError as exc:
        return _page(request, principal, alert, draft, error=exc.code, status=exc.status)
    notice = "done_exception_closed" if saved.closed else "done_exception"
    return RedirectResponse(f"/alerts/{quote(alert.id, safe='')}?notice={notice}", 303)
