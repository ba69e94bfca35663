"""The overview page: open alerts, response times, top rules, ingest and detection health."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
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
# The overview's independent sections (overview numbers, sources, situation, incidents).
SECTION_THREADS = 4


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


def _situation(
    ctx: TriageContext, overview: Future[Overview], chart: ChartRange
) -> Situation | None:
    if ctx.alert_stats is None:
        return None
    now = ctx.clock()
    # The trend reads the same status history as the response-time table, 30 days back.
    changes = ctx.triage.status_changes_since(to_iso(now - timedelta(days=30)))
    rules = ctx.rule_catalog.rules() if ctx.rule_catalog else {}
    return build_situation(
        ctx.alert_stats,
        lambda s: overview.result().open_by_severity.get(s, 0),
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
    # The sections read the store independently: asked together, the page waits for the
    # slowest of them, not for their sum (a network round trip each on Elasticsearch).
    with ThreadPoolExecutor(SECTION_THREADS, thread_name_prefix="overview") as pool:
        overview = pool.submit(ctx.overview)
        # Without health numbers (a store that keeps none) the section is left out.
        counts = pool.submit(lambda: ctx.sources.board().counts if ctx.sources.available else None)
        situation = pool.submit(_situation, ctx, overview, chart)
        # Left out for a store that keeps no incidents.
        incidents = pool.submit(
            lambda: incident_summary(ctx.incidents.store) if ctx.incidents else None
        )
        rules = ctx.rule_catalog.rules() if ctx.rule_catalog else {}
        context = {
            "o": overview.result(),
            "duration": duration,
            "source_counts": counts.result(),
            "s": situation.result(),
            "ranges": list(ChartRange),
            "rule_titles": {rule_id: info.title for rule_id, info in rules.items()},
            "incidents": incidents.result(),
            "incident_statuses": ACTIVE_STATUSES,
        }
    return ctx.pages.render(request, "overview.html", context)
