"""The overview page: open alerts, response times, top rules, ingest and detection health."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from alerting.triage.auth.principal import EVERYONE, Principal
from alerting.triage.context import triage_context

router = APIRouter(include_in_schema=False)


def duration(seconds: float | None) -> str:
    """A compact duration: 45 s, 12 min, 3.5 h, 2.0 d; ``—`` for none."""
    if seconds is None:
        return "—"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


@router.get("/overview")
def overview_page(request: Request, _: Annotated[Principal, Depends(EVERYONE)]) -> Response:
    ctx = triage_context(request)
    overview = ctx.overview()
    # Without health numbers (a store that keeps none) the section is left out.
    counts = ctx.sources.board().counts if ctx.sources.available else None
    context = {"o": overview, "duration": duration, "source_counts": counts}
    return ctx.pages.render(request, "overview.html", context)
