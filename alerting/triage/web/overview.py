"""The overview page: open alerts, response times, top rules, ingest and detection health."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from alerting.triage.auth.principal import EVERYONE, Principal
from alerting.triage.context import TriageContext, triage_context
from alerting.triage.incident_summary import ACTIVE_STATUSES, incident_summary
from alerting.triage.overview import Overview
from alerting.triage.situation import ChartRange, Situation, build_situation
from canhgac.timeutil import to_iso

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


def _situation(ctx: TriageContext, overview: Overview, chart: ChartRange) -> Situation | None:
    if ctx.alert_stats is None:
        return None
    now = ctx.clock()
    # The trend reads the same status history as the response-time table, 30 days back.
    changes = ctx.triage.status_changes_since(to_iso(now - timedelta(days=30)))
    rules = ctx.rule_catalog.rules() if ctx.rule_catalog else {}
    return build_situation(
        ctx.alert_stats,
        lambda s: overview.open_by_severity.get(s, 0),
        changes,
        rules,
        now,
        chart,
    )


@router.get("/overview")
def overview_page(
    request: Request,
    _: Annotated[Principal, Depends(EVERYONE)],
    range: Annotated[str, Query(max_length=10)] = ChartRange.day.value,
) -> Response:
    ctx = triage_context(request)
    chart = ChartRange(range) if range in set(ChartRange) else ChartRange.day
    overview = ctx.overview()
    # Without health numbers (a store that keeps none) the section is left out.
    counts = ctx.sources.board().counts if ctx.sources.available else None
    rules = ctx.rule_catalog.rules() if ctx.rule_catalog else {}
    context = {
        "o": overview,
        "duration": duration,
        "source_counts": counts,
        "s": _situation(ctx, overview, chart),
        "ranges": list(ChartRange),
        "rule_titles": {rule_id: info.title for rule_id, info in rules.items()},
        # Left out for a store that keeps no incidents.
        "incidents": incident_summary(ctx.incidents.store) if ctx.incidents else None,
        "incident_statuses": ACTIVE_STATUSES,
    }
    return ctx.pages.render(request, "overview.html", context)
