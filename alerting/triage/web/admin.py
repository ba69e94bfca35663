"""The audit log page (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from alerting.triage.auth.principal import ADMINS, Principal
from alerting.triage.context import triage_context
from canhgac.store.triage import AuditEntry
from canhgac.text import dumps

router = APIRouter(include_in_schema=False)
AUDIT_PAGE = 100


def _shown(entry: AuditEntry) -> dict[str, object]:
    # before/after shown as compact JSON text (escaped by the template like any log text).
    shown = entry.model_dump()
    for key in ("before", "after"):
        shown[key] = "" if shown[key] is None else dumps(shown[key])
    return shown


@router.get("/audit")
def audit_page(
    request: Request,
    _: Annotated[Principal, Depends(ADMINS)],
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    ctx = triage_context(request)
    entries = ctx.triage.list_audit(limit=AUDIT_PAGE + 1, offset=(page - 1) * AUDIT_PAGE)
    context = {
        "entries": [_shown(e) for e in entries[:AUDIT_PAGE]],
        "page": page,
        "more": len(entries) > AUDIT_PAGE,
    }
    return ctx.pages.render(request, "audit.html", context)
